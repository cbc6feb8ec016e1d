// Served from the package (no CDN). Filters apply as soon as a choice changes; the button stays for no-JS use.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("filters");
  if (!form) return;
  for (const id of ["filter-account", "filter-severity"]) {
    const el = document.getElementById(id);
    if (el) el.addEventListener("change", () => form.submit());
  }
});
