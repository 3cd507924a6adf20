/* the trees: flame graphs (d3-flame-graph) and function_graph's call tree */
(function (page) {
  'use strict';
  var el = page.el,
    fmt = page.fmt,
    drawn = page.drawn;

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

  page.flame = flame;
  page.callTree = callTree;
})(window.labPage);
