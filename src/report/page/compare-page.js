/* compare.html: runs side by side, from a Comparison */
(function (page) {
  'use strict';
  var section = page.section,
    fmt = page.fmt,
    table = page.table,
    keyValues = page.keyValues;

  function comparePage(c) {
    keyValues(
      [
        ['A', c.a.what + ', kernel ' + c.a.kernel + ', runs ' + c.a.runs.join(' ')],
        ['B', c.b.what + ', kernel ' + c.b.kernel + ', runs ' + c.b.runs.join(' ')],
      ],
      section('Compared'),
    );
    function spread(s) {
      return s.n > 1 ? fmt(s.median) + ' (' + fmt(s.min) + '–' + fmt(s.max) + ', n=' + s.n + ')' : fmt(s.median);
    }
    table(
      {
        columns: ['figure', 'A', 'B', 'B / A', 'change'],
        rows: c.figures.map(function (f) {
          return [
            f.figure,
            spread(f.a),
            spread(f.b),
            f.ratio === null ? null : Math.round(f.ratio * 1000) / 1000,
            f.withinSpread ? 'within the spread' : f.a.median === f.b.median ? 'same' : 'changed',
          ];
        }),
      },
      section(
        'Figures',
        'median (min–max) over repeats; a difference inside both ranges is marked "within the spread"',
      ),
    );
    if (c.verdicts.length)
      table(
        {
          columns: ['path', 'A', 'B'],
          rows: c.verdicts.map(function (v) {
            return [v.path, v.a, v.b];
          }),
        },
        section('Verdicts that differ'),
      );
    if (c.functions.length)
      table(
        {
          columns: ['function', 'A', "A's code", 'B', "B's code"],
          rows: c.functions.map(function (f) {
            return [f.function, f.a, f.copiesA || null, f.b, f.copiesB || null];
          }),
        },
        section(
          'Functions the two kernels show differently',
          'a clone (.isra, .constprop) or an inlined copy on one side and not the other, ' +
            "then functions seen on one side only; each kernel's code for it from its DWARF",
        ),
      );
    var st = section(
      'Call paths on one side only',
      "clone suffixes dropped; … stands for the frames cut at ftrace's trampoline",
    );
    table(
      {
        columns: ['only in', 'stack (outermost first)'],
        rows: c.onlyA
          .map(function (s) {
            return ['A', s];
          })
          .concat(
            c.onlyB.map(function (s) {
              return ['B', s];
            }),
          ),
      },
      st,
    );
  }

  page.comparePage = comparePage;
})(window.labPage);
