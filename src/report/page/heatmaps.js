/* heatmaps: a table of counts, deeper red for more (log scale) */
(function (page) {
  'use strict';
  var el = page.el,
    fmt = page.fmt,
    drawn = page.drawn;

  function heatmap(spec, parent) {
    var max = 0;
    spec.values.forEach(function (row) {
      row.forEach(function (v) {
        if (v > max) max = v;
      });
    });
    var t = el('table', { class: 'heat' });
    t.appendChild(el('caption', { text: spec.title }));
    t.appendChild(
      el(
        'tr',
        {},
        [el('th')].concat(
          spec.cols.map(function (c) {
            return el('th', { text: c });
          }),
        ),
      ),
    );
    spec.rows.forEach(function (name, r) {
      t.appendChild(
        el(
          'tr',
          {},
          [el('th', { text: name })].concat(
            spec.values[r].map(function (v, c) {
              var k = max > 0 && v > 0 ? Math.log(1 + v) / Math.log(1 + max) : 0;
              var cell = el('td', { text: fmt(v), title: name + ', ' + spec.cols[c] + ': ' + v });
              cell.style.background = 'rgba(214, 39, 40, ' + (k * 0.85).toFixed(3) + ')';
              if (k > 0.6) cell.style.color = 'white';
              return cell;
            }),
          ),
        ),
      );
    });
    parent.appendChild(el('div', { class: 'scroll' }, [t]));
    drawn.heatmaps++;
  }

  page.heatmap = heatmap;
})(window.labPage);
