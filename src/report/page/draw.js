/* the last of the page's scripts: draws the page its data asks for */
(function (page) {
  'use strict';
  if (page.data.page === 'run') page.runPage(page.data.report);
  else page.comparePage(page.data.comparison);
  page.drawn.ready = true;
})(window.labPage);
