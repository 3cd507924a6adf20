/* uPlot charts: points on lanes, and series over time */
(function (page) {
  'use strict';
  var el = page.el,
    root = page.root,
    drawn = page.drawn,
    COLORS = page.COLORS;

  /* points on named lanes (breakpoints or CPUs), one colour per group */
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

  page.laneChart = laneChart;
  page.lineChart = lineChart;
})(window.labPage);
