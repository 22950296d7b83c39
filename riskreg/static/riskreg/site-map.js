/* The site map's markers, drawn from the compact JSON that site_map_data returns.
 *
 * folium's script (served from its own URL) has already created the Leaflet map and an
 * empty marker cluster; their variable names come in data attributes of #site-map.
 * Every name a user typed reaches the page through textContent / text nodes only:
 * never innerHTML, never a template string, so markup or script in a name stays text.
 */
(function () {
  "use strict";

  var root = document.getElementById("site-map");
  if (!root) {
    return;
  }
  var config = root.dataset;
  var text = JSON.parse(document.getElementById("site-map-text").textContent);
  var map = window[config.mapName];
  var cluster = window[config.clusterName];
  var status = document.getElementById("site-map-status");

  // Colours of the legend (level 0: no open concern); the same values are in site-map.css.
  var COLOURS = ["#6c757d", "#198754", "#e0a800", "#fd7e14", "#dc3545"];
  // Approximate sites are drawn as an area about the size of what their point stands for.
  var AREA_RADIUS_METRES = { district: 15000, region: 60000 };

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (content !== undefined && content !== null && content !== "") {
      node.textContent = String(content);
    }
    return node;
  }

  function format(template, values) {
    // Our own translated templates with %(name)s placeholders; the values are text.
    return template.replace(/%\((\w+)\)s/g, function (match, key) {
      return values[key] === undefined ? match : String(values[key]);
    });
  }

  // Cluster icons take the colour of the highest level among their sites.
  cluster.options.iconCreateFunction = function (group) {
    var highest = 0;
    var children = group.getAllChildMarkers();
    for (var i = 0; i < children.length && highest < 4; i++) {
      highest = Math.max(highest, children[i].siteLevel);
    }
    var count = group.getChildCount();
    var size = count < 100 ? 36 : count < 1000 ? 42 : 48;
    var inner = element("div");
    inner.appendChild(element("span", null, count));
    return L.divIcon({
      html: inner,
      className: "marker-cluster site-cluster site-cluster-level-" + highest,
      iconSize: L.point(size, size),
    });
  };

  function show(data) {
    var sites = data.sites;
    var count = sites.id.length;
    var layers = new Array(count);
    var south = 90, west = 180, north = -90, east = -180;
    for (var i = 0; i < count; i++) {
      var lat = sites.lat[i];
      var lng = sites.lng[i];
      var level = sites.level[i];
      var colour = COLOURS[level];
      var radius = AREA_RADIUS_METRES[data.precisions[sites.precision[i]]];
      var layer = radius
        ? L.circle([lat, lng], {
            radius: radius,
            color: colour,
            weight: 2,
            dashArray: "6 4",
            fillColor: colour,
            fillOpacity: 0.15,
          })
        : L.circleMarker([lat, lng], {
            radius: 8,
            color: "#ffffff",
            weight: 2,
            fillColor: colour,
            fillOpacity: 0.95,
          });
      layer.siteIndex = i;
      layer.siteLevel = level;
      layers[i] = layer;
      south = Math.min(south, lat);
      north = Math.max(north, lat);
      west = Math.min(west, lng);
      east = Math.max(east, lng);
    }
    var concerns = {};
    data.concerns.forEach(function (row) {
      concerns[row[0]] = row.slice(1);
    });
    // Fit first, so that the clusters are computed once, for the zoom they are shown at.
    if (count) {
      map.fitBounds(
        [
          [south, west],
          [north, east],
        ],
        { padding: [30, 30], maxZoom: 10, animate: false }
      );
    }
    cluster.addLayers(layers);
    status.textContent = format(count === 1 ? text.shown_one : text.shown_many, { count: count });
    if (data.unplaced) {
      status.textContent += " " + format(text.unplaced, { count: data.unplaced });
    }

    function popupContent(i) {
      var box = element("div", "site-popup");
      var place = data.places[sites.place[i]];
      var precision = data.precisions[sites.precision[i]];
      box.appendChild(element("div", "site-popup-name fw-bold", sites.name[i]));
      box.appendChild(element("div", "site-popup-enterprise", data.enterprises[sites.enterprise[i]]));
      box.appendChild(element("div", "site-popup-kind text-body-secondary", text.kinds[data.kinds[sites.kind[i]]]));
      var where = [sites.locality[i], place[0], place[1]].filter(Boolean).join(", ");
      box.appendChild(element("div", "site-popup-place", where));
      if (AREA_RADIUS_METRES[precision]) {
        box.appendChild(element("div", "site-popup-approximate fst-italic", text.approximate[precision]));
      }
      var counts = concerns[i];
      if (counts) {
        var list = element("ul", "site-popup-concerns list-unstyled mb-1");
        list.appendChild(element("li", "fw-semibold", text.open_concerns));
        for (var level = counts.length; level >= 1; level--) {
          if (counts[level - 1]) {
            var item = element("li", "site-popup-level");
            item.appendChild(element("span", "site-legend-swatch site-level-" + level));
            item.appendChild(document.createTextNode(text.levels[level] + ": " + counts[level - 1]));
            list.appendChild(item);
          }
        }
        box.appendChild(list);
      } else {
        box.appendChild(element("div", "site-popup-concerns", text.no_open_concerns));
      }
      var link = element("a", "site-popup-link", text.open_site);
      link.href = config.siteUrl.replace("/0/", "/" + encodeURIComponent(sites.id[i]) + "/");
      box.appendChild(link);
      return box;
    }

    // Popups and tooltips are built when needed, not for all sites up front.
    cluster.on("click", function (event) {
      var layer = event.layer;
      L.popup({ maxWidth: 320 }).setLatLng(layer.getLatLng()).setContent(popupContent(layer.siteIndex)).openOn(map);
    });
    cluster.on("mouseover", function (event) {
      var layer = event.layer;
      if (!layer.getTooltip()) {
        layer.bindTooltip(element("span", null, sites.name[layer.siteIndex]));
      }
      layer.openTooltip(layer.getLatLng());
    });
  }

  function showOutlines(outlines) {
    // Below the markers and above the tiles, drawn on a canvas of their own.
    map.createPane("outlines").style.zIndex = 250;
    var tiles = config.tiles === "1";
    L.geoJSON(topojson.feature(outlines, outlines.objects.countries), {
      pane: "outlines",
      renderer: L.canvas({ pane: "outlines" }),
      interactive: false,
      style: {
        color: "#6c757d",
        weight: 1,
        fill: !tiles,
        fillColor: "#f8f9fa",
        fillOpacity: 1,
      },
    }).addTo(map);
  }

  function fetchJson(url) {
    // Plain same-origin GET, so that the page's <link rel="preload"> of the data is reused.
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new Error(response.status + " " + response.statusText);
      }
      return response.json();
    });
  }

  function loadOutlines() {
    // Asynchronous and after the markers, which never wait for the outlines.
    if (config.outlinesUrl && window.topojson) {
      fetchJson(config.outlinesUrl).then(showOutlines, function (error) {
        console.warn("Country outlines not loaded:", error.message);
      });
    }
  }

  fetchJson(config.dataUrl)
    .then(show, function (error) {
      status.textContent = text.failed;
      status.classList.add("text-danger");
      console.error("Site map data not loaded:", error.message);
    })
    .then(loadOutlines);
})();
