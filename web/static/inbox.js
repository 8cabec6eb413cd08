/* Tanggap officer pages: tick the response countdowns every second and, on the inbox, ask every
   20 s (data-poll-ms) whether new tickets arrived. The pages work without it: the server renders the
   countdowns and a reload shows new tickets. No dependencies; ES5 for old office browsers. */
(function () {
  'use strict';

  var page = document.querySelector('[data-server-now]');
  if (!page) { return; }
  // The server's clock, not the browser's: an office PC set ten minutes wrong must not hide a breach.
  var skew = Date.parse(page.getAttribute('data-server-now')) - Date.now();
  var labelLeft = page.getAttribute('data-label-left');
  var labelLate = page.getAttribute('data-label-late');
  var STATES = ['sla-on_track', 'sla-at_risk', 'sla-breached'];

  function pad(n) { return n < 10 ? '0' + n : String(n); }

  function clock(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    return Math.floor(s / 3600) + ':' + pad(Math.floor(s % 3600 / 60)) + ':' + pad(s % 60);
  }

  function tick() {
    var now = Date.now() + skew;
    var items = document.querySelectorAll('.countdown[data-due]');
    for (var i = 0; i < items.length; i++) {
      var el = items[i];
      var due = Date.parse(el.getAttribute('data-due'));
      var warn = Date.parse(el.getAttribute('data-warn'));
      var left = due - now;
      // The same thresholds as the server: late from the due instant, at risk from the warning one.
      var state = now >= due ? 'sla-breached' : (now >= warn ? 'sla-at_risk' : 'sla-on_track');
      el.textContent = (left > 0 ? labelLeft : labelLate).replace('{t}', clock(left));
      if (!el.classList.contains(state)) {
        for (var j = 0; j < STATES.length; j++) { el.classList.remove(STATES[j]); }
        el.classList.add(state);
      }
    }
  }

  tick();
  window.setInterval(tick, 1000);

  var banner = document.querySelector('[data-poll-url]');
  if (!banner || !window.fetch) { return; }
  var every = parseInt(banner.getAttribute('data-poll-ms'), 10) || 20000;
  var url = banner.getAttribute('data-poll-url') + '?since=' + encodeURIComponent(banner.getAttribute('data-since'));

  function poll() {
    fetch(url, {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (response) {
        var type = response.headers.get('Content-Type') || '';
        // Signed out meanwhile: the answer is the sign-in page, not JSON.
        if (!response.ok || type.indexOf('json') === -1) { throw new Error('poll failed'); }
        return response.json();
      })
      .then(function (data) {
        if (data.count > 0) {
          banner.querySelector('a').textContent = banner.getAttribute('data-label-new').replace('{n}', data.label);
          banner.hidden = false;
        }
        window.setTimeout(poll, every);
      })
      .catch(function () { window.setTimeout(poll, every * 3); });
  }

  window.setTimeout(poll, every);
}());

/* Canned replies: picking one writes its text into the reply box (appended if something is typed). */
(function () {
  'use strict';
  var selects = document.querySelectorAll('select[data-canned-for]');
  for (var i = 0; i < selects.length; i++) {
    selects[i].addEventListener('change', function (event) {
      var select = event.target;
      var box = document.getElementById(select.getAttribute('data-canned-for'));
      var option = select.options[select.selectedIndex];
      var text = option && option.getAttribute('data-text');
      if (!box || !text) { return; }
      box.value = box.value.trim() ? box.value.replace(/\s+$/, '') + '\n\n' + text : text;
      box.focus();
    });
  }
}());
