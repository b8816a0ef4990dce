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
