// Measures the elder-mode and standard-mode numbers (docs/design.md) on the page as rendered.
// Returns a list of failures, each naming the element. Called with {elder: boolean}.
(options) => {
  const elder = options.elder;
  const limits = {
    minText: elder ? 18 : 12,          // CSS px
    minKeyText: elder ? 30 : 0,        // h1 and [data-key-figure]
    minLineHeight: elder ? 1.3 : 1.15, // ratio to font size
    minContrast: elder ? 7 : 4.5,
    minTarget: elder ? 60 : 44,        // CSS px, both sides
    minParagraphGap: 0.3,              // × line height: baseline distance ≥ 1.3 line heights
  };
  const failures = [];
  const name = (el) => {
    let text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().replace(/\s+/g, " ");
    if (text.length > 40) text = text.slice(0, 40) + "…";
    const id = el.id ? "#" + el.id : "";
    const cls = el.classList.length ? "." + [...el.classList].join(".") : "";
    return `<${el.tagName.toLowerCase()}${id}${cls}> "${text}"`;
  };
  const scrollX = window.scrollX, scrollY = window.scrollY;
  const onPage = (rect) => rect.width > 0 && rect.height > 0 && rect.bottom + scrollY > 0 && rect.right + scrollX > 0;
  const rendered = (el) => {
    for (let node = el; node && node !== document; node = node.parentElement) {
      const cs = getComputedStyle(node);
      if (cs.display === "none" || cs.visibility === "hidden") return false;
    }
    return true;
  };
  const visuallyHidden = (el) => {
    for (let node = el; node && node !== document.body; node = node.parentElement) {
      const r = node.getBoundingClientRect();
      const cs = getComputedStyle(node);
      if ((r.width <= 1 || r.height <= 1) && (cs.overflow === "hidden" || cs.clipPath !== "none" || cs.clip !== "auto")) return true;
    }
    return false;
  };

  // -- colour ----------------------------------------------------------------------------------
  const parse = (value) => {
    const m = value.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const parts = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const background = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const cs = getComputedStyle(node);
      if (cs.backgroundImage && cs.backgroundImage !== "none") return null; // cannot judge an image
      const c = parse(cs.backgroundColor);
      if (c && c.a > 0) {
        layers.push(c);
        if (c.a >= 1) break;
      }
    }
    let result = { r: 255, g: 255, b: 255, a: 1 };
    for (let i = layers.length - 1; i >= 0; i--) result = over(layers[i], result);
    return result;
  };
  const luminance = (c) => {
    const ch = [c.r, c.g, c.b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  const contrast = (fg, bg) => {
    const a = luminance(fg), b = luminance(bg);
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  };
  const opacity = (el) => {
    let value = 1;
    for (let node = el; node; node = node.parentElement) value *= parseFloat(getComputedStyle(node).opacity);
    return value;
  };

  // -- text ------------------------------------------------------------------------------------
  const checked = new Set();
  const checkText = (el) => {
    if (checked.has(el)) return;
    checked.add(el);
    const rect = el.getBoundingClientRect();
    if (!onPage(rect) || !rendered(el) || visuallyHidden(el) || opacity(el) === 0) return;
    const cs = getComputedStyle(el);
    const size = parseFloat(cs.fontSize);
    if (size < limits.minText) failures.push(`text ${size}px < ${limits.minText}px: ${name(el)}`);
    const lineHeight = cs.lineHeight === "normal" ? size * 1.2 : parseFloat(cs.lineHeight);
    if (lineHeight / size < limits.minLineHeight - 0.005)
      failures.push(`line height ${(lineHeight / size).toFixed(2)} < ${limits.minLineHeight}: ${name(el)}`);
    const fg = parse(cs.color);
    const bg = background(el);
    if (fg && bg) {
      const ratio = contrast(over(fg, bg), bg);
      if (ratio < limits.minContrast - 0.005)
        failures.push(`contrast ${ratio.toFixed(2)}:1 < ${limits.minContrast}:1: ${name(el)} (${cs.color} on rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)}))`);
    }
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || ["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "OPTION"].includes(el.tagName)) continue;
    checkText(el);
  }
  for (const el of document.querySelectorAll("input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, textarea")) checkText(el);
  for (const el of document.querySelectorAll("h1, [data-key-figure]")) {
    if (!onPage(el.getBoundingClientRect()) || !rendered(el)) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < limits.minKeyText) failures.push(`key text ${size}px < ${limits.minKeyText}px: ${name(el)}`);
  }

  // -- touch targets ---------------------------------------------------------------------------
  const targets = document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex]:not([tabindex='-1'])"
  );
  for (const el of targets) {
    const rect = el.getBoundingClientRect();
    if (!onPage(rect) || !rendered(el) || visuallyHidden(el)) continue;
    if (rect.width < limits.minTarget - 0.5 || rect.height < limits.minTarget - 0.5)
      failures.push(`target ${Math.round(rect.width)}×${Math.round(rect.height)} < ${limits.minTarget}×${limits.minTarget}: ${name(el)}`);
  }

  // -- paragraph spacing (elder) ----------------------------------------------------------------
  if (elder) {
    for (const p of document.querySelectorAll("p")) {
      const next = p.nextElementSibling;
      if (!next || next.tagName !== "P" || !rendered(p) || !rendered(next)) continue;
      if (visuallyHidden(p) || visuallyHidden(next)) continue;
      const cs = getComputedStyle(p);
      const lineHeight = parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.2;
      const gap = next.getBoundingClientRect().top - p.getBoundingClientRect().bottom;
      if (gap < limits.minParagraphGap * lineHeight - 0.5)
        failures.push(`paragraph gap ${gap.toFixed(1)}px < ${(limits.minParagraphGap * lineHeight).toFixed(1)}px: ${name(p)}`);
    }
  }
  return failures;
}
