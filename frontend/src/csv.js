// One CSV cell of the selection's export, safe to open in a spreadsheet. A module of its own, free
// of styles and the page, so that Node runs it (tests/web/test_hostile_http.py).

export function csvCell(value) {
  const text = value === null || value === undefined ? '' : String(value);
  // A text cell starting with = + - @ would be a formula in a spreadsheet, and so would one
  // starting with a tab or carriage return before them (spreadsheets skip those; OWASP's list):
  // quote it as text. Numbers (negative coordinates) stay numbers.
  const safe = typeof value === 'string' && /^[=+\-@\t\r\n]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
