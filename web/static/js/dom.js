/* DOM helpers shared by the console's modules. Values from the server go in with textContent,
 * never as HTML: caller names and customer data come from outside. */

export function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null && text !== "") e.textContent = String(text);
  return e;
}

export function testid(e, id) { e.setAttribute("data-testid", id); return e; }

/* Every push message the console receives is also announced as a "cti:push" event on document
 * (detail: the message), so a module can follow the channel without owning it. */
export var PUSH_EVENT = "cti:push";

/* JSON from a data-* attribute, or ``fallback`` when it is missing or broken. */
export function parseJSON(text, fallback) {
  try { return text ? JSON.parse(text) : fallback; } catch (e) { return fallback; }
}

/* The page's catalog (data-i18n, already in the user's language) as a function: t(key, {name: value}). */
export function translator(catalog) {
  return function t(key, values) {
    var s = Object.prototype.hasOwnProperty.call(catalog, key) ? catalog[key] : key;
    if (values) s = s.replace(/\{(\w+)\}/g, function (m, k) { return values[k] != null ? String(values[k]) : ""; });
    return s;
  };
}
