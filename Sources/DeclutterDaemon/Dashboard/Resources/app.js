'use strict';
(function () {
  // The server's list of the messages about a generation (the layout's data-event-types).
  var eventTypes = (document.body.getAttribute('data-event-types') || '').split(' ').filter(Boolean);

  function localTimes(root) {
    var times = (root || document).querySelectorAll('time[datetime]');
    for (var i = 0; i < times.length; i++) {
      var iso = times[i].getAttribute('datetime');
      var date = new Date(iso);
      if (!iso || isNaN(date.getTime())) continue;
      times[i].textContent = date.toLocaleString();
      times[i].title = iso;
    }
  }

  function notice(text, isError) {
    var region = document.getElementById('notice');
    if (!region) return;
    region.textContent = text;
    region.className = isError ? 'error' : '';
  }

  function post(url, body) {
    return fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
        if (!response.ok) {
          var message = json && json.error && json.error.message ? json.error.message : (json && json.message) || text;
          throw new Error(response.status + ': ' + message);
        }
        return json || {};
      });
    });
  }

  function onClick(selector, handler) {
    document.addEventListener('click', function (event) {
      var target = event.target && event.target.closest ? event.target.closest(selector) : null;
      if (target) { event.preventDefault(); handler(target); }
    });
  }

  function failed(error) { notice(String(error && error.message ? error.message : error), true); }

  function listen(handler, onOpen) {
    if (typeof EventSource === 'undefined') return;
    var source = new EventSource('/v1/events');
    if (onOpen) source.addEventListener('open', onOpen);
    eventTypes.forEach(function (type) {
      source.addEventListener(type, function (event) {
        var message = null;
        try { message = JSON.parse(event.data); } catch (e) { return; }
        if (message && message.data) handler(message.type || type, message.data);
      });
    });
    window.addEventListener('pagehide', function () { source.close(); });
  }

  function setStatus(element, status) {
    if (!element || !status) return;
    element.textContent = status;
    element.setAttribute('data-status', status);
  }

  // The list: rows follow their generation; a new one appears on top of the unfiltered first page.
  function generationsPage() {
    var table = document.getElementById('generations');
    var body = table ? table.querySelector('tbody') : null;
    if (!table || !body) return;
    listen(function (type, generation) {
      var row = body.querySelector('tr[data-generation-id="' + String(generation.id).replace(/[^0-9]/g, '') + '"]');
      if (row) {
        row.setAttribute('data-status', generation.status);
        var cell = row.querySelector('.status');
        if (cell) cell.textContent = generation.status;
      } else if (type === 'generation.created' && table.getAttribute('data-live') === 'true') {
        body.insertBefore(newRow(generation), body.firstChild);
        var empty = document.getElementById('empty');
        if (empty) empty.remove();
      }
    });
  }

  function cell(text, className) {
    var td = document.createElement('td');
    if (className) td.className = className;
    if (text !== null && text !== undefined) td.textContent = String(text);
    return td;
  }

  function newRow(generation) {
    var row = document.createElement('tr');
    row.setAttribute('data-generation-id', String(generation.id));
    row.setAttribute('data-status', generation.status || '');
    row.className = 'fresh';
    var first = cell(null);
    var link = document.createElement('a');
    link.href = '/generations/' + encodeURIComponent(String(generation.id));
    link.textContent = String(generation.id);
    first.appendChild(link);
    row.appendChild(first);
    row.appendChild(cell(generation.status, 'status'));
    row.appendChild(cell(generation.kind, 'kind'));
    var created = cell(null);
    var time = document.createElement('time');
    time.setAttribute('datetime', generation.created_at || '');
    time.textContent = generation.created_at || '';
    created.appendChild(time);
    row.appendChild(created);
    row.appendChild(cell(String(generation.project_id || '').slice(0, 8), 'project'));
    row.appendChild(cell(generation.image_url || '', 'url'));
    localTimes(row);
    return row;
  }

  // One generation: the slider, the actions, and its status kept current.
  function generationPage() {
    var article = document.getElementById('generation');
    var id = article ? article.getAttribute('data-generation-id') : null;
    if (!id) return;
    var slider = document.getElementById('slider');
    var compare = document.getElementById('compare');
    var after = document.getElementById('after');
    if (slider && compare && after) {
      var move = function () {
        var value = Math.max(0, Math.min(100, Number(slider.value) || 0));
        compare.style.setProperty('--split', value + '%');
        after.style.clipPath = 'inset(0 0 0 ' + value + '%)';
        after.setAttribute('data-split', String(value));
      };
      slider.addEventListener('input', move);
      slider.addEventListener('change', move);
      move();
    }
    onClick('#refresh', function (button) {
      button.disabled = true;
      post('/v1/generations/' + id + '/refresh', {}).then(function (generation) {
        setStatus(document.getElementById('status'), generation.status);
        notice('Refreshed: the generation is ' + generation.status + '.');
      }).catch(failed).then(function () { button.disabled = false; });
    });
    onClick('#vary', function (button) {
      button.disabled = true;
      post('/v1/generations/' + id + '/variations', {}).then(function (variation) {
        notice('Variation requested: generation ' + variation.id + ' (' + variation.status + ').');
        var region = document.getElementById('notice');
        if (region && variation.id !== undefined) {
          var link = document.createElement('a');
          link.href = '/generations/' + encodeURIComponent(String(variation.id));
          link.textContent = ' Open it';
          region.appendChild(link);
        }
      }).catch(failed).then(function () { button.disabled = false; });
    });
    onClick('button.redeliver', function (button) {
      var message = button.getAttribute('data-message-id');
      var endpoint = Number(button.getAttribute('data-endpoint-id'));
      if (!message) return;
      post('/v1/messages/' + encodeURIComponent(message) + '/redeliver', endpoint ? { endpoint_id: endpoint } : {}).then(function (answer) {
        notice('Message ' + message + ' queued again: ' + answer.queued + ' queued.');
      }).catch(failed);
    });
    listen(function (type, generation) {
      if (String(generation.id) !== id) return;
      setStatus(document.getElementById('status'), generation.status);
      notice('Live: the generation is ' + generation.status + ' (' + type + ').');
    });
  }

  // A listing: its cards, counts and state are read again (GET /v1/listings/{reference}) whenever the stream says
  // something happened, and once it connects (so nothing committed between the page's rendering and the stream is
  // missed). A message about a generation cannot say which photo it is for until the photo's launch is read, so the
  // page reads the listing rather than guess. A retry starts new generations: the page is read again.
  function listingPage() {
    var article = document.getElementById('listing');
    var reference = article ? article.getAttribute('data-reference') : null;
    if (!reference) return;
    var reading = false, again = false;
    function read() {
      if (reading) { again = true; return; }
      reading = true;
      fetch('/v1/listings/' + encodeURIComponent(reference), { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(show).catch(function () {})
        .then(function () { reading = false; if (again) { again = false; read(); } });
    }
    function show(listing) {
      if (!listing) return;
      var state = document.getElementById('listing-state');
      if (state) { state.textContent = listing.state; state.setAttribute('data-state', listing.state); }
      var counts = listing.counts || {};
      var done = counts.succeeded || 0, failed = (counts.failed || 0) + (counts.rejected || 0) + (counts.lost || 0);
      var tally = document.getElementById('listing-counts');
      if (tally) tally.textContent = done + ' done, ' + failed + ' failed, ' + (listing.photo_count - done - failed) + ' pending of ' + listing.photo_count;
      var retry = document.getElementById('retry');
      if (retry) retry.disabled = !(failed > 0 && listing.state !== 'in_progress');
      var cards = document.querySelectorAll('li.photo');
      (listing.photos || []).forEach(function (photo, index) {
        var card = cards[index];
        if (!card) return;
        card.setAttribute('data-generation-id', photo.generation === null || photo.generation === undefined ? '' : String(photo.generation));
        card.setAttribute('data-status', photo.status);
        var status = card.querySelector('.status');
        if (status) status.textContent = photo.status;
        var archived = (photo.images || []).filter(function (image) { return image.state === 'archived' && image.url; })[0];
        picture(card.querySelector('.before-figure'), 'before', photo.input_url, 'Before: ' + photo.name);
        picture(card.querySelector('.after-figure'), 'after', archived ? archived.url : null, 'After: ' + photo.name);
      });
    }
    // The figure's image of class `kind` shows `url` (the daemon's own copy), replacing what stood in for it.
    function picture(figure, kind, url, alt) {
      if (!figure || !url) return;
      var shown = figure.querySelector('img.' + kind);
      if (shown && shown.getAttribute('src') === url) return;
      var image = shown || document.createElement('img');
      image.className = kind;
      image.src = url;
      image.alt = alt;
      var placeholder = figure.querySelector('.placeholder');
      if (placeholder) placeholder.remove();
      if (!shown) figure.insertBefore(image, figure.firstChild);
    }
    onClick('#retry', function (button) {
      button.disabled = true;
      post('/v1/listings/' + encodeURIComponent(reference) + '/retry', {}).then(function (listing) {
        notice('Retry: the listing is ' + listing.state + '.');
        window.location.reload();
      }).catch(function (error) { failed(error); button.disabled = false; });
    });
    // An event is this listing's when it names it, names one of its photos' generations, or is a new generation while
    // a photo still waits for its launch (the page cannot tell which photo it is for before reading).
    function concerns(type, data) {
      if (type === 'listing.completed') return data.reference === reference;
      var id = String(data.id);
      var cards = Array.prototype.slice.call(document.querySelectorAll('li.photo'));
      return cards.some(function (card) { return card.getAttribute('data-generation-id') === id; })
        || (type === 'generation.created' && cards.some(function (card) { return card.getAttribute('data-status') === 'QUEUED'; }));
    }
    listen(function (type, data) { if (concerns(type, data)) read(); }, read);
  }

  function endpointsPage() {
    onClick('button.enable', function (button) {
      var id = button.getAttribute('data-endpoint-id');
      if (!id) return;
      post('/v1/endpoints/' + encodeURIComponent(id) + '/enable', {}).then(function (endpoint) {
        var row = button.closest ? button.closest('tr') : null;
        var state = row ? row.querySelector('.state') : null;
        if (row) row.setAttribute('data-state', endpoint.enabled ? 'enabled' : 'disabled');
        if (state) state.textContent = endpoint.enabled ? 'enabled' : 'disabled';
        button.disabled = !!endpoint.enabled;
        notice('Endpoint ' + id + ' enabled.');
      }).catch(failed);
    });
    onClick('button.recover', function (button) {
      var id = button.getAttribute('data-endpoint-id');
      var since = document.getElementById('recover-since');
      if (!id) return;
      post('/v1/endpoints/' + encodeURIComponent(id) + '/recover', { since: since && since.value ? since.value : '24h' }).then(function (answer) {
        notice('Endpoint ' + id + ': ' + answer.queued + ' failed deliveries queued again.');
      }).catch(failed);
    });
  }

  // Ends the dashboard session (its cookie is HttpOnly: only the server can clear it), then shows the login page.
  function logoutButton() {
    onClick('#logout', function () {
      post('/logout').then(function () { window.location.assign('/'); }).catch(failed);
    });
  }

  function start() {
    localTimes(document);
    logoutButton();
    var page = document.body ? document.body.getAttribute('data-page') : null;
    if (page === 'generations') generationsPage();
    if (page === 'generation') generationPage();
    if (page === 'endpoints') endpointsPage();
    if (page === 'listing') listingPage();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
