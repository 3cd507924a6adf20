/* lab's report page, first of its scripts (src/report/html.ts inlines them in
 * order, after d3, flamegraph and uPlot, which are globals): the data of
 * #lab-data (a RunReport or a Comparison, src/report/run-report.ts and
 * src/compare/compare.ts) and what every drawing uses, on window.labPage.
 * The scripts only draw. window.labReport says what was drawn, for the
 * browser test and for anyone curious. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('lab-data').textContent);
  var root = document.getElementById('report');
  var drawn = { page: data.page, flameFrames: 0, charts: [], heatmaps: 0, tables: 0 };
  window.labReport = drawn;

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'class') e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c) e.appendChild(c);
    });
    return e;
  }
  function section(title, note) {
    var s = el('section', {}, [el('h2', { text: title })]);
    if (note) s.appendChild(el('p', { class: 'note', text: note }));
    root.appendChild(s);
    return s;
  }
  function fmt(v) {
    if (v === null || v === undefined) return '';
    if (typeof v === 'number')
      return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 3 });
    return String(v);
  }

  /* one colour per group of points or series */
  var COLORS = [
    '#1f77b4',
    '#d62728',
    '#2ca02c',
    '#9467bd',
    '#ff7f0e',
    '#8c564b',
    '#e377c2',
    '#17becf',
    '#bcbd22',
    '#7f7f7f',
  ];

  window.labPage = { data: data, root: root, drawn: drawn, el: el, section: section, fmt: fmt, COLORS: COLORS };
})();
