/**
 * Client-side JavaScript (as a string, inlined into the report page): reads the page's data block,
 * then either renders the embedded campaign (static mode) or runs the live app: the token form,
 * authenticated fetches, hash routing (#/ = campaign list, #/campaigns/<id> = one campaign),
 * polling, rejected rows and the CSV export.
 *
 * Same rules as report-page-chart.ts: plain JavaScript inside String.raw, no backticks, no `${`.
 */

/** The bootstrap and live app; needs REPORT_PAGE_CHART_SCRIPT and REPORT_PAGE_VIEWS_SCRIPT before it. */
export const REPORT_PAGE_APP_SCRIPT = String.raw`
var TOKEN_KEY = 'litecast.apiToken';
var REJECTED_LIMIT = 200;
var data = JSON.parse(document.getElementById('litecast-data').textContent);
var app = document.getElementById('app');
var tokenForm = document.getElementById('token-form');
var forget = document.getElementById('forget-token');
var timer = null;
// Bumped on every navigation: an answer that arrives for an older view is dropped.
var generation = 0;
// Thrown after a 401 has already switched to the token form: nothing more to show.
var STOP = { stop: true };

// Kept in memory too, so the page still works where localStorage is disabled.
var memoryToken = null;
function storage(action, value) {
  try {
    if (action === 'set') localStorage.setItem(TOKEN_KEY, value);
    else if (action === 'remove') localStorage.removeItem(TOKEN_KEY);
    else return localStorage.getItem(TOKEN_KEY);
  } catch (e) { /* storage disabled */ }
  return null;
}
function getToken() { return storage('get') || memoryToken; }

function stopPolling() { if (timer) clearTimeout(timer); timer = null; }

function askToken(message) {
  stopPolling();
  generation++;
  app.hidden = true;
  forget.hidden = true;
  tokenForm.hidden = false;
  document.getElementById('token-message').textContent = message || '';
  var input = document.getElementById('token-input');
  input.value = '';
  input.focus();
}

/** fetch with the bearer token; a 401 forgets the token and shows the form again. */
function api(path) {
  var token = getToken();
  if (!token) { askToken(); return Promise.reject(STOP); }
  // Relative to the page, which the API serves at its root.
  return fetch(path.replace(/^\//, ''), { headers: { authorization: 'Bearer ' + token }, cache: 'no-store' }).then(function (res) {
    if (res.status === 401) {
      memoryToken = null;
      storage('remove');
      askToken('The API refused this token. Enter LITECAST_API_TOKEN again.');
      throw STOP;
    }
    if (!res.ok) {
      return res.json().then(function (body) { return body && body.error && body.error.message; }, function () { return null; }).then(function (message) {
        throw new Error(message || 'HTTP ' + res.status + ' for ' + path);
      });
    }
    return res;
  });
}

/** Replaces the app's content; null entries (optional sections) are left out. */
function show() {
  app.replaceChildren.apply(app, Array.prototype.filter.call(arguments, function (node) { return node !== null && node !== undefined; }));
}

function showError(gen) {
  return function (error) {
    if (error === STOP || gen !== generation) return;
    show(h('p', { class: 'banner', 'data-testid': 'error', text: String(error && error.message || error) }), h('p', {}, [h('a', { href: '#/', text: 'Back to the campaigns' })]));
  };
}

function route() {
  stopPolling();
  var gen = ++generation;
  tokenForm.hidden = true;
  app.hidden = false;
  forget.hidden = false;
  if (!getToken()) { askToken(); return; }
  show(h('p', { class: 'muted', text: 'Loading…' }));
  var m = /^#\/campaigns\/([^/?#]+)/.exec(location.hash);
  (m ? showCampaign(decodeURIComponent(m[1]), gen) : showList(gen)).catch(showError(gen));
}

function showList(gen) {
  document.title = 'litecast: campaigns';
  return api('/v1/campaigns?limit=50').then(function (res) { return res.json(); }).then(function (body) {
    if (gen !== generation) return;
    var list = body.campaigns || [];
    var open = function (id) { return function () { location.hash = '#/campaigns/' + encodeURIComponent(id); }; };
    show(h('h2', { text: 'Campaigns' }),
      list.length === 0 ? h('p', { class: 'muted', text: 'No campaigns yet: create one with litecast campaign create or POST /v1/campaigns.' }) : h('table', { 'data-testid': 'campaign-list' }, [
        h('thead', {}, [h('tr', {}, ['Campaign', 'State', 'Channel', 'Template', 'Progress', 'Created'].map(function (t) { return h('th', { text: t }); }))]),
        h('tbody', {}, list.map(function (c) {
          var done = c.counts.total - c.counts.pending;
          return h('tr', { class: 'link', 'data-campaign': c.id, onclick: open(c.id) }, [
            h('td', {}, [h('a', { href: '#/campaigns/' + encodeURIComponent(c.id), text: c.id })]),
            h('td', {}, [h('span', { class: 'badge ' + c.state, text: c.state })]),
            h('td', { text: c.channelId }),
            h('td', { text: c.template.name + ' (' + c.template.language + ')' }),
            h('td', {}, [progressBar(done, c.counts.total, false), h('span', { class: 'small muted', text: done + ' / ' + c.counts.total })]),
            h('td', { text: timeText(c.createdAt) })
          ]);
        }))
      ]),
      body.total > list.length ? h('p', { class: 'muted small', text: 'The newest ' + list.length + ' of ' + body.total + ' campaigns.' }) : null);
    var active = list.some(function (c) { return isActive(c.state); });
    timer = setTimeout(function () { showList(gen).catch(showError(gen)); }, active ? 2000 : 15000);
  });
}

/** The first REJECTED_LIMIT lines of the NDJSON export of skipped rows, without reading the rest. */
function loadRejected(id) {
  return api('/v1/campaigns/' + encodeURIComponent(id) + '/recipients?outcome=skipped&format=ndjson').then(function (res) {
    var rows = [], buffer = '', decoder = new TextDecoder(), reader = res.body.getReader();
    var take = function (line) { if (line.trim() && rows.length < REJECTED_LIMIT) rows.push(JSON.parse(line)); };
    var pump = function () {
      return reader.read().then(function (chunk) {
        if (chunk.done) { take(buffer + decoder.decode()); return rows; }
        buffer += decoder.decode(chunk.value, { stream: true });
        var lines = buffer.split('\n');
        buffer = lines.pop();
        lines.forEach(take);
        if (rows.length >= REJECTED_LIMIT) { reader.cancel().catch(function () {}); return rows; }
        return pump();
      });
    };
    return pump();
  });
}

function exportButton(id) {
  var button = h('button', { type: 'button', 'data-testid': 'export-csv', text: 'Export CSV' });
  button.addEventListener('click', function () {
    button.disabled = true;
    button.textContent = 'Exporting…';
    api('/v1/campaigns/' + encodeURIComponent(id) + '/recipients?format=csv').then(function (res) { return res.blob(); }).then(function (blob) {
      var url = URL.createObjectURL(blob);
      var a = h('a', { href: url, download: id + '.csv' });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    }).catch(function (error) {
      if (error !== STOP) alert('Export failed: ' + (error && error.message || error));
    }).then(function () { button.disabled = false; button.textContent = 'Export CSV'; });
  });
  return button;
}

function showCampaign(id, gen) {
  document.title = 'litecast: campaign ' + id;
  var rejected = null, rejectedFor = -1, rendered = false;
  var refresh = h('button', { type: 'button', text: 'Refresh' });
  var problem = h('span', { class: 'banner', 'data-testid': 'refresh-error' });
  // Kept across re-renders, so an export in progress survives the 2-second refresh.
  var toolbar = h('div', { class: 'toolbar' }, [h('a', { href: '#/', text: '← All campaigns' }), refresh, exportButton(id), problem]);
  // Once the campaign is on screen, a failed refresh (API restarting, network) keeps it there and retries.
  var retry = function (error) {
    if (error === STOP || gen !== generation) return;
    if (!rendered) { showError(gen)(error); return; }
    problem.textContent = 'Refresh failed (' + (error && error.message || error) + '); retrying in 5 s.';
    timer = setTimeout(function () { tick().catch(retry); }, 5000);
  };
  var tick = function () {
    stopPolling();
    return api('/v1/campaigns/' + encodeURIComponent(id)).then(function (res) { return res.json(); }).then(function (report) {
      if (gen !== generation) return;
      // Rejected rows only change while the file is read: fetch them again only when skipped moved.
      var next = report.counts.skipped === rejectedFor ? Promise.resolve(rejected) : loadRejected(id);
      return next.then(function (rows) {
        if (gen !== generation) return;
        rejected = rows;
        rejectedFor = report.counts.skipped;
        problem.textContent = '';
        show(campaignView(report, { mode: 'live', rejected: rejected, toolbar: toolbar }));
        rendered = true;
        timer = setTimeout(function () { tick().catch(retry); }, isActive(report.state) ? 2000 : 30000);
      });
    });
  };
  refresh.addEventListener('click', function () { tick().catch(retry); });
  return tick().catch(retry);
}

if (data.mode === 'static') {
  document.title = 'litecast: campaign ' + data.campaign.id + ' (snapshot)';
  show(campaignView(data.campaign, { mode: 'static', rejected: data.rejected || [], rejectedTotal: data.rejectedTotal, generatedAt: data.generatedAt }));
} else {
  tokenForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var value = document.getElementById('token-input').value.trim();
    if (!value) return;
    memoryToken = value;
    storage('set', value);
    route();
  });
  forget.addEventListener('click', function () { memoryToken = null; storage('remove'); askToken('Token forgotten.'); });
  window.addEventListener('hashchange', route);
  route();
}
`;
