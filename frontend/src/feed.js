// One map's feed: the latest view the controls want, the request for its points, and the draws,
// in order. main.js says what it wants (want()) as often as the controls change; the feed owns
// everything after that, so that every change ends in exactly one render of the latest state:
//  - one request at a time: a newer one aborts the older, and an answer that arrives for
//    anything but the latest wanted points is dropped (checked again after every await);
//  - one draw at a time: regl-scatterplot refuses a draw while one runs ("Ignoring draw call as
//    the previous draw call has not yet finished"), so draws are serialised and coalesced: when
//    a draw ends, the next one draws whatever is wanted then, skipping what was wanted meanwhile;
//  - what a map says about itself (title, status, legend, axis titles) is written after a draw,
//    from what was drawn (onDrawn), never from a request that may be overtaken.

export class MapFeed {
  // plot: a Plot; fetch(params, {signal}) -> data; onBusy(+1 | -1) while working;
  // onDrawn(plot, data, state, fresh): after each draw (fresh: new points, not just new colours);
  // onError(message, kind): a request or draw failed ('request' | 'draw').
  constructor(plot, { fetch, onBusy, onDrawn, onError }) {
    this.plot = plot;
    this.fetch = fetch;
    this.onBusy = onBusy;
    this.onDrawn = onDrawn;
    this.onError = onError;
    this.wanted = null; // {key, params, state, layout, style, loadingText, axisTitles}
    this.request = null; // {key, controller}: the one request in flight
    this.fetched = null; // {key, data}: the newest answer (for the key wanted when it came)
    this.drawn = null; // {data, layout, style}: what is on screen
    this.drawing = false;
    this.busy = false;
    this.restoreView = null; // the URL's camera, for the first points drawn
    this.destroyed = false;
  }

  // The latest wanted view. view: a camera to restore when its points are first drawn.
  want(target, { view = null } = {}) {
    if (this.destroyed) return;
    this.wanted = target;
    if (view) this.restoreView = view;
    if (this.fetched?.key === target.key) {
      // The points are at hand (also when the controls went back to them): no request.
      this.abort();
      this.pump();
    } else if (this.request?.key !== target.key) {
      this.abort();
      this.load(target);
    } // else: its request is on the way, and will draw whatever is wanted when it arrives
    this.settle();
  }

  abort() {
    if (!this.request) return;
    this.request.controller.abort();
    this.request = null;
  }

  async load(target) {
    const request = { key: target.key, controller: new AbortController() };
    this.request = request;
    this.plot.showMessage(target.loadingText, 'loading');
    let data;
    try {
      data = await this.fetch(target.params, { signal: request.controller.signal });
    } catch (error) {
      if (this.request !== request || error.name === 'AbortError') return;
      this.request = null;
      this.fetched = null; // the next want() of this key asks again
      this.plot.showMessage(error.message, 'error');
      this.onError(error.message, 'request');
      this.settle();
      return;
    }
    // Overtaken while the answer was on its way (aborted or not): not ours to draw.
    if (this.request !== request || this.destroyed) return;
    this.request = null;
    this.fetched = { key: request.key, data };
    this.pump();
  }

  // Draw until the screen shows what is wanted. One loop at a time: a want() during a draw
  // only changes this.wanted, which the running loop picks up when that draw ends.
  async pump() {
    if (this.drawing || this.destroyed) return;
    this.drawing = true;
    this.settle();
    try {
      for (;;) {
        const target = this.wanted;
        const fetched = this.fetched;
        if (!target || !fetched || fetched.key !== target.key) break; // its points are not here yet
        const drawn = this.drawn;
        const fresh = !drawn || drawn.data !== fetched.data;
        let step = null;
        if (fresh || drawn.layout !== target.layout) step = 'data';
        else if (drawn.style !== target.style) step = 'style';
        if (!step) {
          this.plot.showDataMessage(); // e.g. a request left for points already on screen: no "Loading…"
          break;
        }
        try {
          if (step === 'data') {
            // New points: the URL's camera once, else the whole map; a new layout keeps the camera.
            const view = fresh ? this.restoreView : this.plot.getView();
            if (fresh) this.restoreView = null;
            await this.plot.setData(fetched.data, target.state, { view, axisTitles: target.axisTitles });
          } else {
            await this.plot.restyle(target.state, { redrawPoints: true });
          }
        } catch (error) {
          if (this.destroyed) return;
          this.drawn = null;
          this.plot.showMessage(error.message, 'error');
          this.onError(error.message, 'draw');
          break;
        }
        if (this.destroyed) return;
        this.drawn = { data: fetched.data, layout: target.layout, style: target.style };
        this.onDrawn(this.plot, fetched.data, target.state, fresh);
      }
    } finally {
      this.drawing = false;
      this.settle();
    }
  }

  // Busy while a request or a draw is under way: the page's "loading" count (and the tests'
  // idle) covers everything up to the last draw.
  settle() {
    const busy = !this.destroyed && (!!this.request || this.drawing);
    if (busy !== this.busy) {
      this.busy = busy;
      this.onBusy(busy ? 1 : -1);
    }
  }

  // The plot goes away (compare turned off): nothing more is requested or drawn, and a draw
  // left running on the destroyed renderer no longer counts as work.
  destroy() {
    this.destroyed = true;
    this.abort();
    this.settle();
  }
}
