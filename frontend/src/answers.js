// JSON answers about a map (its clusters, its points' neighbourhood preservation), asked once per
// map and kept while a plot shows that map: one entry per key, each {status, answer, error}.
// A request no plot wants any more is aborted; at most LIMIT answers are kept.

const LIMIT = 6;

export class Answers {
  // ask(params, {signal}) -> Promise of the answer; onAnswer(): one arrived (or failed);
  // onBusy(+1 | -1): a request started or ended (the page's loading count).
  constructor({ ask, onAnswer, onBusy }) {
    this.ask = ask;
    this.onAnswer = onAnswer;
    this.onBusy = onBusy;
    this.entries = new Map();
    this.wanted = []; // per plot: the key it wants, or null
  }

  // Plot `index` wants the answer for `key` (null: none), asked with `params`.
  want(index, key, params) {
    this.wanted[index] = key;
    const wanted = new Set(this.wanted.filter(Boolean));
    for (const [other, entry] of this.entries) {
      if (entry.status === 'pending' && !wanted.has(other)) {
        entry.controller.abort();
        this.entries.delete(other);
      }
    }
    if (key && !this.entries.has(key)) this.load(key, params);
    while (this.entries.size > LIMIT) {
      const old = [...this.entries.keys()].find((k) => !wanted.has(k));
      if (old === undefined) break;
      this.entries.delete(old);
    }
  }

  drop(index) {
    this.want(index, null);
  }

  async load(key, params) {
    const entry = { status: 'pending', answer: null, error: '', controller: new AbortController() };
    this.entries.set(key, entry);
    this.onBusy(1);
    try {
      entry.answer = await this.ask(params, { signal: entry.controller.signal });
      entry.status = 'ready';
    } catch (error) {
      entry.status = 'error';
      entry.error = error.name === 'AbortError' ? 'cancelled' : error.message;
    } finally {
      this.onBusy(-1);
    }
    if (this.entries.get(key) === entry && entry.error !== 'cancelled') this.onAnswer();
  }

  get(key) {
    return key ? this.entries.get(key) || null : null;
  }

  // What plot `index` has of its answer: part of the feed's style key (a new answer restyles).
  stamp(index) {
    const key = this.wanted[index];
    return key ? `${key}#${this.entries.get(key)?.status || 'none'}` : '';
  }
}
