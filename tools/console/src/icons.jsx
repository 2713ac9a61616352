// Registry icons as images: an SVG from the registry is only ever the source of an
// <img> (a data: URL), where it cannot run script or reach the page.
export function svgSource(svg) {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

export function Icon({ styles, label, size = 22 }) {
  const svg = styles && (styles.svgColor || styles.svgWhite);
  if (svg && svg.trim().startsWith("<")) {
    return <img class="icon" src={svgSource(svg)} alt="" width={size} height={size} />;
  }
  const colour = (styles && styles.primaryColor) || "#5b6b7f";
  return (
    <span
      class="icon icon-letter"
      aria-hidden="true"
      style={{ background: colour, width: `${size}px`, height: `${size}px` }}
    >
      {(label || "?").slice(0, 1).toUpperCase()}
    </span>
  );
}

export function Swatches({ styles }) {
  if (!styles) return <span class="muted">no colours in the registry</span>;
  return (
    <span class="swatches">
      {[
        ["primary", styles.primaryColor],
        ["secondary", styles.secondaryColor],
      ].map(([name, colour]) => (
        <span key={name} class="swatch-item">
          <span class="swatch" style={{ background: colour }} aria-hidden="true" />
          {name} {colour}
        </span>
      ))}
    </span>
  );
}
