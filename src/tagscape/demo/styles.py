"""Arrangements: one function per musical style, from a seeded generator to a stereo mix.

Each style function has the signature ``style(*, rng, sr, seconds) -> (2, n)`` float32
with ``n = round(seconds * sr)``. It picks a key, tempo, chord progression and timbre
from ``rng``, lays notes out on a bar/beat grid and mixes the instruments from
:mod:`tagscape.demo.instruments`. Levels are relative; the caller normalises.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from tagscape.demo import instruments as ins
from tagscape.demo.instruments import F32, midi_hz, n_of, pan, place, ring

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
#: Chord progressions as 0-based scale degrees (0 = I/i, 3 = IV/iv, 4 = V/v, 5 = vi/VI ...).
PROGRESSIONS = {
    MAJOR: ((0, 4, 5, 3), (0, 5, 3, 4), (0, 3, 0, 4), (5, 3, 0, 4), (0, 3, 5, 4), (0, 2, 3, 4)),
    MINOR: ((0, 5, 2, 6), (0, 3, 4, 0), (0, 6, 5, 6), (0, 5, 3, 4), (0, 3, 6, 2)),
}
#: Melody rhythms per bar: note onsets in beats, for 4/4 and 3/4.
RHYTHMS = {
    4: ((0, 1, 2, 3), (0, 1.5, 2, 3), (0, 0.5, 1, 2, 3), (0, 2, 3), (0, 1, 1.5, 2), (0, 2), (0, 1, 2)),
    3: ((0, 1, 2), (0, 2), (0, 1.5, 2), (0, 1), (0, 0.5, 1, 2)),
}
LEAD = 0.15  # seconds of silence before the first beat


@dataclass(frozen=True)
class Song:
    """The plan every style shares: key, tempo, metre, length and chord progression."""

    tonic: int
    mode: tuple[int, ...]
    bpm: float
    beats: int
    bars: int
    progression: tuple[int, ...]

    @property
    def beat_s(self) -> float:
        return 60.0 / self.bpm

    def at(self, bar: int, beat: float = 0.0) -> float:
        """Seconds from the start of the track to ``beat`` of ``bar``."""
        return LEAD + (bar * self.beats + beat) * self.beat_s

    def degree(self, bar: int) -> int:
        """Scale degree of the chord in ``bar``; the last bar always returns home."""
        return 0 if bar == self.bars - 1 else self.progression[bar % len(self.progression)]

    def chord(self, bar: int, *, base: int, size: int = 3) -> list[int]:
        """MIDI notes of the bar's diatonic chord (stacked thirds), root the lowest note >= ``base``."""
        deg = self.degree(bar)
        steps = [12 * ((deg + 2 * i) // 7) + self.mode[(deg + 2 * i) % 7] for i in range(size)]
        root = base + (self.tonic + steps[0] - base) % 12
        return [root + s - steps[0] for s in steps]

    def scale(self, low: int, high: int) -> list[int]:
        """All scale notes from ``low`` to ``high`` inclusive."""
        return [m for m in range(low, high + 1) if (m - self.tonic) % 12 in self.mode]


def plan_song(rng: np.random.Generator, *, seconds: float, bpm: tuple[float, float], beats: int = 4,
              modes: tuple = (MAJOR, MINOR), tail: float = 2.0) -> Song:
    """Pick key, mode, tempo and progression; whole bars end exactly ``tail`` s before the end.

    The tempo drawn from ``bpm`` is nudged (by at most half a bar over the piece) so that
    a whole number of bars fits.
    """
    mode = modes[int(rng.integers(len(modes)))]
    tempo = float(rng.uniform(*bpm))
    progs = PROGRESSIONS[mode]
    music = seconds - LEAD - tail
    bars = max(2, int(round(music / (beats * 60.0 / tempo))))
    tempo = bars * beats * 60.0 / music
    return Song(int(rng.integers(12)), mode, tempo, beats, bars, progs[int(rng.integers(len(progs)))])


def melody(rng: np.random.Generator, song: Song, *, low: int, high: int, slow: bool = False,
           breath: float = 0.0) -> list[tuple[float, float, int]]:
    """A tune as ``(start_beat, beats, midi)`` notes: a 2-bar rhythmic motif, stepwise motion,
    chord tones on strong beats, and a long note on the chord root closing every 4-bar phrase.
    ``breath`` (0-1) shortens phrase-ending notes to leave a rest."""
    scale = song.scale(low, high)
    pool = [r for r in RHYTHMS[song.beats] if not slow or len(r) <= 3]
    motif = [pool[int(rng.integers(len(pool)))] for _ in range(2)]
    pos, notes = len(scale) // 2, []
    for bar in range(song.bars):
        phrase_end = bar % 4 == 3 or bar == song.bars - 1
        rhythm = motif[bar % 2] if bar % 4 < 2 or rng.random() < 0.5 else pool[int(rng.integers(len(pool)))]
        rhythm = (0,) if phrase_end else rhythm
        chord = song.chord(bar, base=0)
        onsets = list(rhythm) + [song.beats]
        for i, on in enumerate(rhythm):
            step = int(rng.choice([-2, -1, -1, 0, 1, 1, 2, -3, 3]))
            pos = pos + step if 0 <= pos + step < len(scale) else pos - step
            pos = min(max(pos, 0), len(scale) - 1)
            if on % 2 == 0:
                wanted = {chord[0] % 12} if phrase_end else {m % 12 for m in chord}
                near = [j for j in range(len(scale)) if scale[j] % 12 in wanted]
                pos = min(near, key=lambda j: (abs(j - pos), j))
            dur = onsets[i + 1] - on
            notes.append((bar * song.beats + on, dur * (1.0 - breath) if phrase_end else dur, scale[pos]))
    return notes


def _voiced(song: Song, bar: int, *, base: int, extend: int = 0) -> list[int]:
    """The bar's triad from ``base`` plus ``extend`` more chord tones an octave up."""
    tones = song.chord(bar, base=base)
    return tones + [tones[i % 3] + 12 * (1 + i // 3) for i in range(extend)]


def _bank(make):
    """Memoise ``make(key)``: notes of one track are rendered once per pitch and reused."""
    cache: dict = {}

    def get(key):
        if key not in cache:
            cache[key] = make(key)
        return cache[key]

    return get


def _smooth(x: np.ndarray, *, k: int) -> np.ndarray:
    """Moving average of ``x`` ``(n,)`` over ``k`` samples (softens gate edges), same shape."""
    c = np.concatenate([np.zeros(k, F32), np.cumsum(x, dtype=np.float64)])
    return ((c[k:] - c[:-k]) / k).astype(F32)


def _stereo(n: int) -> np.ndarray:
    return np.zeros((2, n), F32)


def _add(buf: np.ndarray, x: np.ndarray, *, t: float, sr: int, gain: float = 1.0, position: float = 0.0) -> None:
    """Pan mono ``x`` and add it into stereo ``buf`` at ``t`` seconds."""
    place(buf, pan(x, position=position), start=int(round(t * sr)), gain=gain)


def _with_reverb(dry: np.ndarray, *, rng, sr: int, t60: float, amount: float, damping: float = 0.35) -> np.ndarray:
    """``dry`` ``(2, n)`` plus ``amount`` of reverb of its mono sum."""
    return dry + F32(amount) * ins.reverb(dry.mean(axis=0), sr=sr, rng=rng, t60=t60, damping=damping)


def _filter_stereo(x: np.ndarray, *, sr: int, gain) -> np.ndarray:
    return np.stack([ins.stft_filter(ch, sr=sr, gain=gain) for ch in x])


# --------------------------------------------------------------------------- styles


def piano(*, rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """Solo piano: left-hand broken chords or waltz under a right-hand melody, with pedal."""
    song = plan_song(rng, seconds=seconds, bpm=(66.0, 100.0), beats=int(rng.choice([3, 4])), tail=3.0)
    inharm, bright = rng.uniform(1.5e-4, 4e-4), rng.uniform(0.8, 1.3)
    note = _bank(lambda m: ins.piano_note(freq=float(midi_hz(m)), seconds=5.0, sr=sr, rng=rng,
                                          inharmonicity=inharm, brightness=bright))
    patterns = {4: (((0, 0), (0.5, 2), (1, 1), (1.5, 2), (2, 0), (2.5, 2), (3, 1), (3.5, 2)),
                    ((0, 0), (0.5, 2), (1, 3), (1.5, 4), (2, 5), (2.5, 4), (3, 3), (3.5, 2)),
                    ((0, 0), (1, 2), (1, 3), (1, 4), (2, 1), (3, 2), (3, 3), (3, 4))),
                3: (((0, 0), (1, 2), (1, 3), (1, 4), (2, 2), (2, 3), (2, 4)),
                    ((0, 0), (0.5, 2), (1, 3), (1.5, 4), (2, 3), (2.5, 2)))}[song.beats]
    left = patterns[int(rng.integers(len(patterns)))]
    out, end = _stereo(n_of(seconds, sr)), seconds - 0.05
    for bar in range(song.bars):
        tones = _voiced(song, bar, base=38, extend=3)
        last = bar == song.bars - 1
        shape = 0.8 + 0.2 * np.sin(np.pi * (bar % 4 + 0.5) / 4)
        for beat, idx in (((0, 0), (0.02, 1), (0.05, 2), (0.08, 3), (0.11, 4)) if last else left):
            t = song.at(bar, beat) + rng.normal(0, 0.004)
            hold = (end - t) if last else song.at(bar + 1) - t
            m = tones[idx]
            _add(out, ring(note(m), sr=sr, seconds=hold), t=t, sr=sr, gain=shape * rng.uniform(0.3, 0.4),
                 position=float(np.clip((m - 60) / 40, -0.6, 0.6)))
    for start, beats, m in melody(rng, song, low=65, high=86):
        t = LEAD + start * song.beat_s + rng.normal(0, 0.004)
        hold = min(beats * song.beat_s + 0.2, end - t)
        _add(out, ring(note(m), sr=sr, seconds=hold), t=t, sr=sr, gain=rng.uniform(0.55, 0.75),
             position=float(np.clip((m - 60) / 40, -0.6, 0.6)))
    return _with_reverb(out, rng=rng, sr=sr, t60=rng.uniform(1.4, 2.4), amount=0.25)


def strings(*, rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """String ensemble: four bowed, voice-led lines swelling through legato chords."""
    song = plan_song(rng, seconds=seconds, bpm=(56.0, 80.0), tail=2.5)
    n = n_of(seconds, sr)
    t = np.arange(n) / sr
    bar_s = song.beats * song.beat_s
    ranges, places = ((36, 52), (48, 64), (55, 71), (62, 81)), (0.0, -0.55, 0.55, -0.2)
    out, prev = _stereo(n), [None] * 4
    for v, (lo, hi) in enumerate(ranges):
        onsets, pitches = [], []
        for bar in range(song.bars):
            chord = song.chord(bar, base=0)
            pcs = {chord[0] % 12} if v == 0 else {m % 12 for m in chord}
            cands = [m for m in range(lo, hi + 1) if m % 12 in pcs]
            target = (lo + hi) / 2 if prev[v] is None else prev[v]
            prev[v] = min(cands, key=lambda m: (abs(m - target), rng.random()))
            onsets.append(song.at(bar))
            pitches.append(prev[v])
            if v == 3 and bar < song.bars - 1 and rng.random() < 0.5:
                step = song.scale(prev[v] - 3, prev[v] + 3)
                onsets.append(song.at(bar, 2))
                pitches.append(step[int(rng.integers(len(step)))])
        hz = np.log2(midi_hz(pitches))
        knots = np.repeat(onsets, 2) + np.tile([0.0, 0.09], len(onsets))  # 90 ms glide into each note
        freq = 2.0 ** np.interp(t, knots[1:], np.repeat(hz, 2)[:-1])
        amp_t = [0.0, song.at(0)]
        amp_v = [0.0, 0.0]
        for bar in range(song.bars):
            b0 = song.at(bar)
            amp_t += [b0 + 0.05, b0 + 0.45 * bar_s, b0 + bar_s - 0.08]
            amp_v += [0.6 if bar else 0.2, 1.0, 0.8]
        amp_t += [seconds - 0.2]
        amp_v += [0.0]
        amp = np.interp(t, amp_t, amp_v).astype(F32)
        tone = ins.bowed(freq=freq, sr=sr, rng=rng, vibrato_rate=rng.uniform(4.8, 6.2),
                         vibrato_depth=rng.uniform(0.002, 0.005))
        out += pan(tone * amp, position=places[v]) * F32(1.0 if v == 0 else 0.7)
    fc = rng.uniform(2200, 4200)
    out = _filter_stereo(out, sr=sr, gain=lambda tt, f: ins.lowpass_gain(f, fc=fc) * ins.highpass_gain(f, fc=45.0)
                         * ins.bell_gain(f, fc=400.0, db=4.0) * ins.bell_gain(f, fc=2800.0, db=3.0))
    return _with_reverb(out, rng=rng, sr=sr, t60=rng.uniform(2.0, 3.2), amount=0.35)


def rock(*, rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """Rock band: doubled distorted power chords (palm-muted verses, open choruses), bass, drum kit."""
    song = plan_song(rng, seconds=seconds, bpm=(120.0, 140.0), modes=(MINOR,), tail=1.8)
    song = replace(song, progression=((0, 5, 6, 0), (0, 6, 5, 6), (0, 3, 5, 4), (0, 2, 6, 3))[int(rng.integers(4))])
    n, e8 = n_of(seconds, sr), song.beat_s / 2
    drive = rng.uniform(7.0, 14.0)
    cab = lambda f: (ins.highpass_gain(f, fc=90.0) * ins.lowpass_gain(f, fc=4800.0, q=0.9)  # noqa: E731
                     * ins.bell_gain(f, fc=1600.0, db=4.0))

    def chord_hit(key):  # key: (root MIDI note, length in eighths, palm-muted)
        x = ins.power_chord(freq=float(midi_hz(key[0])), seconds=key[1] * e8 + 0.05, sr=sr, rng=rng, muted=key[2],
                            drive=drive)
        return ins.fft_filter(x, sr=sr, gain=cab)

    guitars = [_bank(chord_hit) for _ in range(2)]  # two takes, panned apart
    bass = _bank(lambda key: ins.bass_note(freq=float(midi_hz(key[0])), seconds=key[1] * e8, sr=sr, cutoff=900.0))
    kit = {"kick": ins.kick(sr=sr, rng=rng, f_hi=110.0, f_lo=52.0, tau=0.18),
           "snare": ins.snare(sr=sr, rng=rng, tone_hz=rng.uniform(170, 220)),
           "hat": ins.hihat(sr=sr, rng=rng, tau=0.035), "open": ins.hihat(sr=sr, rng=rng, tau=0.18),
           "crash": ins.cymbal(sr=sr, rng=rng, tau=1.2, ping=0.1)}
    verse_mask = rng.random(8) < 0.25
    verse_mask[0] = True
    out = _stereo(n)
    for bar in range(song.bars):
        root = song.chord(bar, base=40)[0]
        last, intro, chorus = bar == song.bars - 1, bar < 2, (bar // 4) % 2 == 1
        if last:  # one final chord, left to ring
            hits = [(0, 14, False)]
        elif intro:
            hits = [(0, 4, False), (4, 4, False)]
        elif chorus:
            hits = [(0, 3, False), (3, 3, False), (6, 2, False)]
        else:  # palm-muted eighth-note chugs with a few open accents
            hits = [(i, 1, not verse_mask[i]) for i in range(8)]
        for i, length, muted in hits:
            for g, position in ((0, -0.75), (1, 0.75)):
                _add(out, guitars[g]((root, length, muted)), t=song.at(bar, i / 2) + rng.normal(0, 0.003), sr=sr,
                     gain=0.28, position=position)
            if not intro:
                _add(out, bass((root - 12, length)), t=song.at(bar, i / 2), sr=sr, gain=0.5)
        if intro:
            continue
        drums = [("crash", 0.0, 0.5)] if bar % 4 == 0 or last else []
        if last:
            drums += [("kick", 0.0, 1.0)]
        else:
            kicks = (0, 1.5, 2) if chorus else (0, 2, 2.5)
            drums += [("kick", b, 1.0) for b in kicks] + [("snare", b, 0.8) for b in (1, 3)]
            drums += [("open" if chorus and i % 2 else "hat", i / 2, 0.5 if i % 2 else 0.7) for i in range(8)]
            if bar % 4 == 3:
                drums += [("snare", 3 + k / 4, 0.35 + 0.15 * k) for k in range(1, 4)]
        for name, beat, g in drums:
            _add(out, kit[name], t=song.at(bar, beat) + rng.normal(0, 0.002), sr=sr, gain=g,
                 position={"hat": 0.3, "open": 0.3, "crash": -0.35}.get(name, 0.0))
    return _with_reverb(out, rng=rng, sr=sr, t60=0.9, amount=0.12)


def techno(*, rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """Techno: four-on-the-floor kick, off-beat hats, claps, and a 16-step acid line with filter sweeps."""
    song = plan_song(rng, seconds=seconds, bpm=(125.0, 135.0), modes=(MINOR,), tail=1.0)
    n, step_s, bar_s = n_of(seconds, sr), song.beat_s / 4, 4 * song.beat_s
    t = np.arange(n) / sr
    root = 33 + int(rng.integers(8))
    notes = rng.choice([0, 0, 0, 12, 3, 7, 10, -2, 5], 16)
    gate, accent, slide = rng.random(16) < 0.7, rng.random(16) < 0.3, rng.random(16) < 0.2
    gate[0] = True
    acid_from, acid_to = 4 * song.beat_s * min(4, song.bars // 4), song.at(song.bars - 1)
    brk = (song.bars // 2 - 2, song.bars // 2 + 2) if song.bars >= 16 else (-1, -1)

    # acid line, vectorised over samples: which step, where inside it, which note
    pos = (t - LEAD) / step_s
    idx = np.floor(pos).astype(int) % 16
    frac = pos - np.floor(pos)
    nxt = notes[(idx + 1) % 16]
    semis = root + notes[idx] + slide[idx] * np.clip((frac - 0.6) / 0.4, 0, 1) * (nxt - notes[idx])
    on = gate[idx] & ((frac < 0.55) | slide[idx]) & (t >= LEAD + acid_from) & (t < acid_to)
    osc = (ins.saw if rng.random() < 0.5 else ins.square)(midi_hz(semis), sr=sr, n=n)
    level = _smooth(on.astype(F32), k=n_of(0.004, sr)) * (0.6 + 0.4 * np.exp(-frac * step_s / 0.1))
    level *= 1.0 + 0.3 * accent[idx]
    acid = osc * level.astype(F32)
    q, sweep = rng.uniform(4.0, 8.0), rng.uniform(8, 16) * bar_s

    def acid_gain(tt, f):
        p = (tt - LEAD) / step_s
        k = np.floor(p).astype(int) % 16
        env = np.exp(-(p - np.floor(p)) * step_s / 0.08) * (1.0 + 1.5 * accent[k])
        fc = 260.0 * 2 ** (3.2 * (0.5 - 0.5 * np.cos(2 * np.pi * tt / sweep))) * (1.0 + 1.6 * env)
        return ins.lowpass_gain(f, fc=fc, q=q, order=3) / q

    acid = np.tanh(F32(2.5) * ins.stft_filter(acid, sr=sr, gain=acid_gain)) * F32(0.35)
    beat_pos = ((t - LEAD) / song.beat_s) % 1.0
    bar_now = np.floor((t - LEAD) / bar_s)
    kick_on = (bar_now < brk[0]) | (bar_now >= brk[1])
    duck = (1.0 - 0.6 * kick_on * np.exp(-beat_pos * song.beat_s / 0.1)).astype(F32)
    out = pan(acid * duck, position=0.0)
    kit = {"kick": ins.kick(sr=sr, rng=rng, f_hi=rng.uniform(140, 180), f_lo=rng.uniform(44, 52)),
           "open": ins.hihat(sr=sr, rng=rng, tau=0.09), "closed": ins.hihat(sr=sr, rng=rng, tau=0.02),
           "clap": ins.clap(sr=sr, rng=rng)}
    stab = None
    if rng.random() < 0.6:
        chord = [root + 24 + i for i in (0, 3, 7, 10)]
        stab = sum(ins.saw(float(midi_hz(m)), sr=sr, n=n_of(0.2, sr)) for m in chord)
        stab = ins.fft_filter(stab * ins.envelope(stab.size, sr=sr, attack=0.003, release=0.15), sr=sr,
                              gain=lambda f: ins.lowpass_gain(f, fc=1800.0)) * F32(0.12)
    for bar in range(song.bars):
        breakdown = brk[0] <= bar < brk[1]
        hits = [] if breakdown else [("kick", b, 1.0) for b in range(4)]
        if bar >= 2 and not breakdown:
            hits += [("open", b + 0.5, 0.5) for b in range(4)]
        if bar >= 8 and not breakdown:
            hits += [("closed", s / 4, 0.25 + 0.15 * (s % 4 == 2)) for s in range(16) if s % 4 != 2]
            hits += [("clap", b, 0.6) for b in (1, 3)]
        for name, beat, g in hits:
            _add(out, kit[name], t=song.at(bar, beat), sr=sr, gain=g, position=0.25 if name == "closed" else 0.0)
        if stab is not None and bar % 2 == 1 and 4 <= bar < song.bars - 1:
            for echo in range(4):
                _add(out, stab, t=song.at(bar, 2.5 + 0.75 * echo), sr=sr, gain=0.45 ** echo,
                     position=(-0.6, 0.6)[echo % 2] if echo else 0.0)
    return _with_reverb(out, rng=rng, sr=sr, t60=1.2, amount=0.1)


def ambient(*, rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """Ambient: slowly evolving detuned pads under a drone and sparse bells, washed in long reverb."""
    song = plan_song(rng, seconds=seconds, bpm=(60.0, 60.0), modes=(MAJOR, MINOR), tail=0.0)
    n = n_of(seconds, sr)
    chord_s = rng.uniform(6.0, 10.0)
    out = _stereo(n)
    for c in range(int(np.ceil(seconds / chord_s))):
        tones = song.chord(c, base=36, size=5)  # triad + seventh + ninth
        voicing = [tones[0]] + [m + 12 * ((55 - m + 11) // 12) for m in tones[1:]]
        for m in voicing:
            x = ins.pad_voice(freq=float(midi_hz(m)), seconds=chord_s + 4.0, sr=sr, rng=rng, attack=2.5, release=3.0,
                              detune_cents=rng.uniform(6, 14))
            _add(out, x, t=c * chord_s - 1.0, sr=sr, gain=0.25, position=float(rng.uniform(-0.6, 0.6)))
    period, phase0 = rng.uniform(10.0, 20.0), rng.random()
    out = _filter_stereo(out, sr=sr, gain=lambda tt, f: ins.lowpass_gain(
        f, fc=450.0 * 2 ** (1.8 * (0.5 + 0.5 * np.sin(2 * np.pi * (tt / period + phase0)))), q=1.3))
    drone = sum(ins.tone(float(midi_hz(song.tonic + 36 + k)), sr=sr, n=n) for k in (0, 12))
    out += pan(drone * ins.envelope(n, sr=sr, attack=4.0, release=4.0), position=0.0) * F32(0.15)
    bell_notes = song.scale(72, 91)
    at = 2.0 + rng.uniform(1.0, 4.0)
    while at < seconds - 5.0:
        m = bell_notes[int(rng.integers(len(bell_notes)))]
        _add(out, ins.bell(freq=float(midi_hz(m)), seconds=4.0, sr=sr), t=at, sr=sr, gain=0.12,
             position=float(rng.uniform(-0.7, 0.7)))
        at += rng.uniform(1.5, 5.0)
    wet = ins.reverb(out.mean(axis=0), sr=sr, rng=rng, t60=rng.uniform(5.0, 8.0), damping=0.5)
    fade = ins.envelope(n, sr=sr, attack=3.0, release=4.0)
    return (F32(0.6) * out + F32(0.9) * wet) * fade


def vocals(*, rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """Vocals: a wordless sung melody (vowels a/e/i/o/u) with vibrato over soft piano or pad chords."""
    song = plan_song(rng, seconds=seconds, bpm=(70.0, 100.0), tail=2.5)
    n = n_of(seconds, sr)
    low, high, shift = ((62, 79, 1.0), (57, 74, 0.94), (50, 67, 0.86))[int(rng.integers(3))]
    notes = melody(rng, song, low=low, high=high, slow=True, breath=0.35)
    f0 = np.full(n, float(midi_hz(notes[0][2])))
    amp, anchors = np.zeros(n, F32), [(0.0, "a")]
    knots_t, knots_hz = [], []
    vowel_seq = "".join(rng.choice(list("aaeioouu"), 8))
    for i, (start, beats, m) in enumerate(notes):
        t0, dur = LEAD + start * song.beat_s, beats * song.beat_s
        knots_t += [t0, t0 + dur - 0.06]
        knots_hz += [np.log2(midi_hz(m))] * 2
        place(amp, ins.envelope(n_of(dur, sr), sr=sr, attack=0.07, release=0.12) * F32(rng.uniform(0.8, 1.0)),
              start=n_of(t0, sr))
        v = vowel_seq[i % len(vowel_seq)]
        anchors += [(t0 + 0.03, v), (t0 + max(dur - 0.08, 0.04), v)]
    f0 = 2.0 ** np.interp(np.arange(n) / sr, knots_t, knots_hz)
    voice = ins.sing(f0=f0, amp=amp, vowels=anchors, sr=sr, rng=rng, vibrato_rate=rng.uniform(5.0, 6.2),
                     vibrato_depth=rng.uniform(0.008, 0.016), formant_shift=shift)
    out = pan(voice, position=0.0) * F32(1.2)
    use_piano = rng.random() < 0.5
    keys = _bank(lambda m: ins.piano_note(freq=float(midi_hz(m)), seconds=4.0, sr=sr, rng=rng))
    for bar in range(song.bars):
        t0 = song.at(bar)
        hold = seconds - 0.05 - t0 if bar == song.bars - 1 else song.beats * song.beat_s
        for m in _voiced(song, bar, base=48):
            if use_piano:
                for b in range(0, song.beats, 2):
                    _add(out, ring(keys(m), sr=sr, seconds=min(hold - b * song.beat_s, 2 * song.beat_s)),
                         t=song.at(bar, b), sr=sr, gain=0.12, position=(m - 60) / 30)
            else:
                _add(out, ins.pad_voice(freq=float(midi_hz(m)), seconds=hold + 0.6, sr=sr, rng=rng, attack=0.3,
                                        release=0.6), t=t0, sr=sr, gain=0.05, position=(m - 60) / 30)
        root = song.chord(bar, base=36)[0]
        _add(out, ins.bass_note(freq=float(midi_hz(root)), seconds=min(hold, song.beats * song.beat_s), sr=sr,
                                cutoff=400.0), t=t0, sr=sr, gain=0.25)
    return _with_reverb(out, rng=rng, sr=sr, t60=rng.uniform(1.5, 2.2), amount=0.3)


JAZZ_PROGRESSIONS = (((2, "m7"), (7, "7"), (0, "maj7"), (9, "7")), ((0, "maj7"), (9, "m7"), (2, "m7"), (7, "7")),
                     ((4, "m7"), (9, "7"), (2, "m7"), (7, "7")), ((0, "maj7"), (5, "7"), (4, "m7"), (9, "7")))
QUALITIES = {"maj7": (0, 4, 7, 11), "m7": (0, 3, 7, 10), "7": (0, 4, 7, 10)}


def jazz(*, rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """Jazz trio: swung walking bass, ride cymbal, hi-hat on 2 and 4, rootless piano comping."""
    song = plan_song(rng, seconds=seconds, bpm=(110.0, 170.0), modes=(MAJOR,), tail=2.5)
    prog = JAZZ_PROGRESSIONS[int(rng.integers(len(JAZZ_PROGRESSIONS)))]
    swing = rng.uniform(0.6, 0.68)
    when = lambda bar, beat: song.at(bar, np.floor(beat) + (swing if beat % 1 else 0.0))  # noqa: E731

    def chord_of(bar):
        off, quality = (0, "maj7") if bar == song.bars - 1 else prog[bar % len(prog)]
        return (song.tonic + off) % 12, QUALITIES[quality]

    keys = _bank(lambda m: ins.piano_note(freq=float(midi_hz(m)), seconds=3.0, sr=sr, rng=rng, brightness=0.8))
    bass = _bank(lambda m: ins.pluck(freq=float(midi_hz(m)), seconds=1.5, sr=sr, rng=rng, t60=1.0, brightness=0.1)
                 + ins.tone(float(midi_hz(m)), sr=sr, n=n_of(1.5, sr)) * ins.decay_env(n_of(1.5, sr), sr=sr, tau=0.35))
    ride = [ins.cymbal(sr=sr, rng=rng, tau=0.8, ping=0.8) for _ in range(3)]
    hat = ins.hihat(sr=sr, rng=rng, tau=0.025)
    out = _stereo(n_of(seconds, sr))
    comp = ((0.0, 1.5), (0.5, 2.5), (1.0, 3.5), (0.0, 2.5), (1.5,), (2.5, 3.5))
    for bar in range(song.bars):
        root, quality = chord_of(bar)
        nxt_root = chord_of(min(bar + 1, song.bars - 1))[0]
        r = 36 + (root - 36) % 12
        tones = [r + q for q in quality] + [r + 12]
        line = [r, int(rng.choice(tones[1:])), int(rng.choice(tones[:4]))]
        target = 36 + (nxt_root - 36) % 12
        line.append(target + int(rng.choice([-1, 1, 7 - 12])))
        last = bar == song.bars - 1
        for beat, m in enumerate(line[:1] if last else line):
            hold = seconds - 0.1 - song.at(bar, beat) if last else song.beat_s * 0.95
            _add(out, ring(bass(m), sr=sr, seconds=min(hold, 1.4)), t=song.at(bar, beat) + rng.normal(0, 0.006),
                 sr=sr, gain=0.7)
        for beat, g in ((0, 1.0), (1, 0.8), (1.5, 0.55), (2, 1.0), (3, 0.8), (3.5, 0.55))[: 1 if last else 6]:
            _add(out, ride[int(rng.integers(3))], t=when(bar, beat) + rng.normal(0, 0.004), sr=sr,
                 gain=0.22 * g, position=0.45)
        for beat in (() if last else (1, 3)):
            _add(out, hat, t=song.at(bar, beat), sr=sr, gain=0.3, position=-0.35)
        voicing = sorted(55 + (root + q - 55) % 12 for q in (quality[1], quality[3], 2, quality[2]))
        for beat in ((0.0,) if last else comp[int(rng.integers(len(comp)))]):
            hold = seconds - 0.1 - when(bar, beat) if last else song.beat_s * rng.uniform(0.4, 0.9)
            for m in voicing:
                _add(out, ring(keys(m), sr=sr, seconds=hold), t=when(bar, beat) + rng.normal(0, 0.008), sr=sr,
                     gain=0.22, position=-0.15)
    if rng.random() < 0.7:
        solo = melody(rng, song, low=67, high=86)
        for start, beats, m in solo:
            t = when(int(start // song.beats), start % song.beats)
            if LEAD + 2 * song.beats * song.beat_s < t < song.at(song.bars - 1):
                _add(out, ring(keys(m), sr=sr, seconds=beats * song.beat_s * 0.9), t=t, sr=sr, gain=0.4, position=0.1)
    return _with_reverb(out, rng=rng, sr=sr, t60=1.0, amount=0.18)


def folk(*, rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """Acoustic folk: Karplus-Strong guitar fingerpicking (Travis or waltz pattern), plucked melody."""
    song = plan_song(rng, seconds=seconds, bpm=(84.0, 112.0), beats=int(rng.choice([3, 4])), modes=(MAJOR,), tail=2.5)
    bright = rng.uniform(0.3, 0.6)
    string = _bank(lambda m: ins.pluck(freq=float(midi_hz(m)), seconds=3.5, sr=sr, rng=rng,
                                       t60=3.0 if m < 52 else 2.0, brightness=bright))
    lead = _bank(lambda m: ins.pluck(freq=float(midi_hz(m)), seconds=2.0, sr=sr, rng=rng, t60=1.2, brightness=0.7,
                                     position=0.12))
    pattern = {4: ("B1", "T2", "B2", "T1", "B1", "T2", "B2", "T3"), 3: ("B1", "T1", "T2", "T3", "T2", "T1")}[song.beats]
    out, end = _stereo(n_of(seconds, sr)), seconds - 0.05
    k = n_of(0.08, sr)
    shaker = ins.highpass_noise(n=k, sr=sr, rng=rng, fc=5000.0) * ins.decay_env(k, sr=sr, tau=0.02)
    use_shaker = rng.random() < 0.5
    for bar in range(song.bars):
        tones = song.chord(bar, base=40)
        treble = sorted(55 + (m - 55) % 12 for m in tones)
        fifth = tones[2] - 12 if tones[2] - 12 >= 38 else tones[2]
        voice = {"B1": tones[0], "B2": fifth, "T1": treble[0], "T2": treble[1], "T3": treble[2]}
        last = bar == song.bars - 1
        for i, name in enumerate(("B1", "T1", "T2", "T3") if last else pattern):
            beat = i * 0.1 if last else i / 2
            t = song.at(bar, beat) + rng.normal(0, 0.006)
            hold = end - t if last else song.at(bar + 1) - t + 0.2
            m = voice[name]
            x = ins.pluck(freq=float(midi_hz(m)), seconds=hold, sr=sr, rng=rng, t60=6.0, brightness=bright) if last \
                else ring(string(m), sr=sr, seconds=hold)
            _add(out, x, t=t, sr=sr, gain=0.5 if name[0] == "B" else 0.35, position=-0.2 if name[0] == "B" else 0.15)
        if use_shaker and not last:
            for i in range(2 * song.beats):
                _add(out, shaker, t=song.at(bar, i / 2), sr=sr, gain=0.08 if i % 2 else 0.05, position=0.5)
    if rng.random() < 0.7:
        for start, beats, m in melody(rng, song, low=67, high=84, breath=0.25):
            t = LEAD + start * song.beat_s
            if t >= song.at(2):
                _add(out, ring(lead(m), sr=sr, seconds=min(beats * song.beat_s, end - t)), t=t, sr=sr, gain=0.45,
                     position=-0.35)
    return _with_reverb(out, rng=rng, sr=sr, t60=1.3, amount=0.2)


#: Style name -> renderer, in the order the collection uses.
RENDERERS = {"piano": piano, "strings": strings, "rock": rock, "techno": techno, "ambient": ambient,
             "vocals": vocals, "jazz": jazz, "folk": folk}
