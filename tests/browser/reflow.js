// Scales the root text size (as a phone's "large text" setting does) and reports content that
// no longer fits: horizontal scrolling of the page, or an element whose text is cut off.
(scale) => {
  const root = document.documentElement;
  const base = parseFloat(getComputedStyle(root).fontSize);
  root.style.fontSize = base * scale + "px";
  const failures = [];
  const width = window.innerWidth;
  if (root.scrollWidth > width + 1) failures.push(`page scrolls sideways: ${root.scrollWidth}px > ${width}px`);
  for (const el of document.body.querySelectorAll("*")) {
    const cs = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || cs.display === "none" || cs.position === "absolute") continue;
    if (r.right > width + 1 && r.left < width) failures.push(`sticks out to ${Math.round(r.right)}px: <${el.tagName.toLowerCase()} class="${el.className}">`);
    const clips = cs.overflowX === "hidden" || cs.overflowY === "hidden";
    if (clips && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1) && r.width > 2)
      failures.push(`text cut off: <${el.tagName.toLowerCase()} class="${el.className}">`);
  }
  root.style.fontSize = "";
  return failures.slice(0, 20);
}
