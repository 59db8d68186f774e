// The explorer page: its parts laid out, then the explorer (explorer.js) started on the tagscape
// server's data (api.js: serverSource) or a static export's (staticsource.js).

import './style.css';
import { AboutPanel } from './about.js';
import { installSource, serverSource } from './api.js';
import { el } from './dom.js';
import { Explorer } from './explorer.js';
import { staticNote, staticSource } from './staticsource.js';

const app = document.getElementById('app');

const hook = { ready: false, plots: [], timings: [], errors: [] };
window.tagscape = hook; // for the browser tests and bench/web.py

function layOut() {
  const panel = el('aside', { class: 'panel' });
  const plotArea = el('div', { class: 'plots' });
  const playerBar = el('footer', { class: 'player-bar' });
  const statusBar = el('div', { class: 'status', id: 'status' });
  const errorBar = el('div', { class: 'error-bar', id: 'error', hidden: true, role: 'alert' });
  const noticeText = el('span');
  const noticeBar = el('div', { class: 'notice-bar', id: 'notice', hidden: true, role: 'status' }, noticeText,
    el('button', { type: 'button', class: 'notice-close', title: 'dismiss', text: '×', onclick: () => {
      noticeBar.hidden = true;
    } }));
  const tooltip = el('div', { class: 'tooltip', hidden: true });
  const dock = el('section', { class: 'dock', id: 'dock', hidden: true });
  const stage = el('main', { class: 'stage' }, plotArea, dock, playerBar);
  // The side panel's named places: each part fills its own, in this order, whatever comes first.
  const slots = Object.fromEntries(['controls', 'analyse', 'similar', 'listen'].map((name) => [name, el('div', { class: 'slot', dataset: { slot: name } })]));
  panel.append(...Object.values(slots));
  const aboutSlot = el('span', { class: 'about-slot' });
  app.replaceChildren(el('header', { class: 'top' }, el('h1', { text: 'tagscape' }), el('span', { class: 'collection', text: app.dataset.collection }), aboutSlot, statusBar),
    errorBar, noticeBar, el('div', { class: 'body' }, panel, stage));
  document.body.append(tooltip);
  return { slots, aboutSlot, plotArea, dock, stage, playerBar, statusBar, errorBar, noticeBar, noticeText, tooltip };
}

const layout = layOut();
hook.about = new AboutPanel(layout.aboutSlot);
// The page says where its data is: the tagscape server (by default), or the files of a static
// export (data-source="static", tagscape export-site), whose source also answers the modules'
// own getJSON and audio URLs (api.js installSource).
async function dataSource() {
  if (app.dataset.source !== 'static') return serverSource();
  const source = await staticSource(app.dataset.base || './');
  installSource(source);
  document.body.classList.add('static-export');
  layout.slots.controls.before(staticNote(source.manifest));
  return source;
}

dataSource().then((source) => new Explorer({ source, hook, layout }).start()).catch((error) => {
  layout.errorBar.textContent = `Cannot load this page's data: ${error.message}`;
  layout.errorBar.hidden = false;
});
