/* a run's page: its sections in order, from a RunReport */
(function (page) {
  'use strict';
  var el = page.el,
    section = page.section,
    table = page.table,
    keyValues = page.keyValues,
    flame = page.flame,
    callTree = page.callTree,
    laneChart = page.laneChart,
    lineChart = page.lineChart,
    heatmap = page.heatmap;

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

  page.runPage = runPage;
})(window.labPage);
