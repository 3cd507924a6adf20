/* lab's report page: draws the data of #lab-data (a RunReport or a Comparison,
 * src/report/model.ts and src/compare/compare.ts). d3, flamegraph and uPlot are
 * globals inlined before this script. window.labReport says what was drawn,
 * for the browser test and for anyone curious. */
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

  function flame(spec, parent) {
    var box = el('div', { class: 'flame' });
    var details = el('p', {
      class: 'details',
      text: 'hover a frame for its count; click to zoom, click the root to zoom out',
    });
    parent.appendChild(
      el('p', { class: 'legend' }, [
        el('span', { class: 'swatch kernel' }),
        el('span', { text: ' function ' }),
        el('span', { class: 'swatch inlined' }),
        el('span', { text: ' inlined into its caller (gdb)' }),
      ]),
    );
    parent.appendChild(box);
    parent.appendChild(details);
    var width = Math.max(600, Math.min(1400, box.clientWidth || 1100));
    var chart = flamegraph
      .default()
      .width(width)
      .cellHeight(18)
      .minFrameSize(0)
      .transitionDuration(0)
      .sort(true)
      .setDetailsElement(details)
      .label(function (d) {
        return d.data.name + (d.data.libtype === 'inlined' ? ' (inlined)' : '') + ': ' + fmt(d.value) + ' ' + spec.unit;
      });
    d3.select(box).datum(spec.tree).call(chart);
    drawn.flameFrames += box.querySelectorAll('svg g').length;
  }

  /* points on named lanes (breakpoints or CPUs), one colour per group */
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
  function laneChart(id, spec, xLabel, parent) {
    var series = [{ label: xLabel }];
    var columns = [spec.x];
    spec.groups.forEach(function (g, gi) {
      columns.push(
        spec.x.map(function (_, i) {
          return spec.group[i] === gi ? spec.lane[i] : null;
        }),
      );
      series.push({
        label: g,
        stroke: COLORS[gi % COLORS.length],
        paths: function () {
          return null;
        },
        points: { show: true, size: 6, fill: COLORS[gi % COLORS.length] },
      });
    });
    var box = el('div', { class: 'chart' });
    parent.appendChild(box);
    var u = new uPlot(
      {
        width: Math.max(600, Math.min(1400, root.clientWidth || 1100)),
        height: 60 + 36 * spec.lanes.length,
        scales: { x: { time: false }, y: { auto: false, range: [-1, spec.lanes.length] } },
        axes: [
          { label: xLabel },
          {
            size: 240,
            splits: function () {
              return spec.lanes.map(function (_, i) {
                return i;
              });
            },
            values: function (_, ticks) {
              return ticks.map(function (t) {
                return spec.lanes[t] || '';
              });
            },
          },
        ],
        series: series,
      },
      columns,
      box,
    );
    if (spec.omitted)
      parent.appendChild(
        el('p', {
          class: 'note',
          text:
            'the first ' +
            spec.x.length.toLocaleString('en-US') +
            ' are drawn; ' +
            spec.omitted.toLocaleString('en-US') +
            " more are in the run's files",
        }),
      );
    drawn.charts.push({ id: id, points: u.data[0].length });
  }

  /* a series over time, with the scenario's steps as dashed lines */
  function lineChart(id, title, t, values, steps, parent, height) {
    var box = el('div', { class: 'chart' });
    parent.appendChild(box);
    var u = new uPlot(
      {
        title: title,
        width: Math.max(600, Math.min(1400, root.clientWidth || 1100)),
        height: height || 180,
        scales: { x: { time: false } },
        axes: [{ label: 'seconds' }, { size: 70 }],
        series: [{ label: 's' }, { label: title, stroke: COLORS[0], width: 2, points: { show: true, size: 4 } }],
        hooks: {
          draw: [
            function (u) {
              var ctx = u.ctx;
              ctx.save();
              ctx.strokeStyle = '#888';
              ctx.setLineDash([4, 4]);
              ctx.fillStyle = '#555';
              ctx.font = 11 * devicePixelRatio + 'px sans-serif';
              steps.forEach(function (s) {
                var x = u.valToPos(s.t, 'x', true);
                if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
                ctx.beginPath();
                ctx.moveTo(x, u.bbox.top);
                ctx.lineTo(x, u.bbox.top + u.bbox.height);
                ctx.stroke();
                ctx.fillText(s.label, x + 3, u.bbox.top + 12 * devicePixelRatio);
              });
              ctx.restore();
            },
          ],
        },
      },
      [t, values],
      box,
    );
    drawn.charts.push({ id: id, points: u.data[0].length });
  }

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

  /* function_graph's tree: a node's callees are drawn when it is opened */
  function callTree(nodes, parent) {
    function line(n) {
      return (
        n.fn +
        '  ' +
        fmt(n.calls) +
        ' calls, ' +
        fmt(n.inclusiveUs) +
        ' µs inclusive, ' +
        fmt(n.exclusiveUs) +
        ' µs exclusive'
      );
    }
    function add(list, into) {
      list.forEach(function (n) {
        if (!n.children.length) {
          into.appendChild(el('div', { class: 'leaf', text: line(n) }));
          return;
        }
        var d = el('details', {}, [el('summary', { text: line(n) })]);
        d.addEventListener('toggle', function once() {
          if (d.open && d.childElementCount === 1) add(n.children, d);
        });
        into.appendChild(d);
      });
    }
    var box = el('div', { class: 'tree' });
    add(nodes, box);
    parent.appendChild(box);
  }

  function runPage(r) {
    keyValues(r.header, section('Run'));
    if (r.notes.length) {
      var n = section('Notes');
      r.notes.forEach(function (t) {
        n.appendChild(el('p', { text: t }));
      });
    }
    if (r.verdicts && r.verdicts.length) {
      var v = section('Verdicts', 'each compaction path the scenario expects, and the evidence for it');
      r.verdicts.forEach(function (x) {
        v.appendChild(
          el('h3', {
            class: x.ok ? 'ok' : 'bad',
            text:
              x.path +
              ': ' +
              (x.fired ? 'fired' : 'quiet') +
              ' (expected: ' +
              x.expected +
              ')' +
              (x.ok ? '' : ', NOT as expected'),
          }),
        );
        table(
          {
            columns: ['evidence', 'needed', 'got', 'met'],
            rows: x.rows.map(function (row) {
              return [row.what, row.need, row.got, row.met ? 'yes' : 'no'];
            }),
          },
          v,
        );
        x.why.forEach(function (w) {
          v.appendChild(el('p', { class: 'note', text: w }));
        });
      });
    }
    if (r.series) {
      var s = section('Over time', "sampled every interval; dashed lines are the scenario's steps");
      lineChart('score', 'fragmentation score (node 0)', r.series.t, r.series.score, r.series.steps, s, 200);
      Object.keys(r.series.counters).forEach(function (name) {
        lineChart(
          'counter ' + name,
          name + ' (growth since the start)',
          r.series.t,
          r.series.counters[name],
          r.series.steps,
          s,
          150,
        );
      });
    }
    if (r.flame) flame(r.flame, section('Flame graph', r.flame.title));
    if (r.breakpoints) table(r.breakpoints, section('Hits per breakpoint'));
    if (r.hitTimeline)
      laneChart(
        'hits',
        r.hitTimeline,
        'seconds since gdb attached',
        section('Hit timeline', 'one point per hit, coloured by vCPU'),
      );
    if (r.hitsTable) table(r.hitsTable, section('Hits and captures', 'click a column to sort'));
    if (r.heatmaps && r.heatmaps.length) {
      var h = section('Free lists', 'free blocks per order; deeper red is more');
      r.heatmaps.forEach(function (m) {
        heatmap(m, h);
      });
    }
    if (r.pageblocks) table(r.pageblocks, section('Pageblocks per migrate type'));
    if (r.callTree)
      callTree(
        r.callTree,
        section('Call tree', 'function_graph calls merged by call path; open a line for its callees'),
      );
    if (r.functions) table(r.functions, section('Functions', 'click a column to sort'));
    if (r.events) table(r.events, section('Trace events'));
    if (r.eventTimeline)
      laneChart(
        'events',
        r.eventTimeline,
        'seconds since the first event',
        section('Events per CPU', 'one point per event, coloured by event'),
      );
    if (r.exports.length)
      section(
        'Exports',
        'in the run directory: ' + r.exports.join(', ') + ' (FlameGraph, speedscope, Perfetto UI, chrome://tracing)',
      );
  }

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
    var st = section('Stacks on one side only');
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

  if (data.page === 'run') runPage(data.report);
  else comparePage(data.comparison);
  drawn.ready = true;
})();
