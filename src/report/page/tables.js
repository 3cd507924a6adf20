/* tables: sortable data, and key-value pairs */
(function (page) {
  'use strict';
  var el = page.el,
    fmt = page.fmt,
    drawn = page.drawn;

  /* a table whose columns sort on click: numbers as numbers, the rest as text */
  function table(spec, parent) {
    var t = el('table', { class: 'data' });
    var head = el('tr');
    var body = el('tbody');
    var rows = spec.rows.slice();
    var order = { col: -1, dir: 1 };
    function fill() {
      body.textContent = '';
      rows.forEach(function (r) {
        body.appendChild(
          el(
            'tr',
            {},
            r.map(function (v) {
              return el('td', { class: typeof v === 'number' ? 'num' : '', text: fmt(v) });
            }),
          ),
        );
      });
    }
    spec.columns.forEach(function (c, i) {
      var th = el('th', { text: c, title: 'sort by ' + c });
      th.addEventListener('click', function () {
        order.dir = order.col === i ? -order.dir : typeof (rows[0] || [])[i] === 'number' ? -1 : 1;
        order.col = i;
        rows.sort(function (a, b) {
          var x = a[i],
            y = b[i];
          if (x === y) return 0;
          if (x === null || x === undefined) return 1;
          if (y === null || y === undefined) return -1;
          if (typeof x === 'number' && typeof y === 'number') return (x - y) * order.dir;
          return String(x).localeCompare(String(y)) * order.dir;
        });
        fill();
      });
      head.appendChild(th);
    });
    t.appendChild(el('thead', {}, [head]));
    t.appendChild(body);
    fill();
    parent.appendChild(el('div', { class: 'scroll' }, [t]));
    if (spec.omitted)
      parent.appendChild(
        el('p', {
          class: 'note',
          text: spec.omitted.toLocaleString('en-US') + " more rows are in the run directory's files",
        }),
      );
    drawn.tables++;
  }

  function keyValues(pairs, parent) {
    var t = el('table', { class: 'meta' });
    pairs.forEach(function (p) {
      t.appendChild(el('tr', {}, [el('th', { text: p[0] }), el('td', { text: p[1] })]));
    });
    parent.appendChild(t);
  }

  page.table = table;
  page.keyValues = keyValues;
})(window.labPage);
