// Tiny DOM helpers. Text always goes in through textContent: metadata is text, never HTML.

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'style' && typeof value === 'object') Object.assign(node.style, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node && typeof value !== 'string') node[key] = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function options(select, items, value) {
  // items: [[value, label], ...]
  select.replaceChildren(...items.map(([v, label]) => el('option', { value: v, text: label })));
  if (value !== undefined && items.some(([v]) => String(v) === String(value))) select.value = String(value);
  return select;
}

export function datalist(id, values) {
  let list = document.getElementById(id);
  if (!list) {
    list = el('datalist', { id });
    document.body.append(list);
  }
  list.replaceChildren(...values.map((v) => el('option', { value: v })));
  return list;
}

export function formatTime(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '';
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s.toFixed(2).padStart(5, '0')}`;
}

// "1 track", "2 tracks", "1,234 tracks" (never "1 tracks").
export function plural(n, word, many = `${word}s`) {
  return `${Number(n).toLocaleString()} ${n === 1 ? word : many}`;
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
