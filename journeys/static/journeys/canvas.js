// Drag and drop on the journey map canvas: stages by their header, touchpoints within
// their stage. The new order goes into the form's hidden fields; "Save order" posts it,
// and the server applies it through the journey services.
(function () {
  "use strict";

  function ids(container, key) {
    return Array.prototype.map.call(container.children, function (el) {
      return el.dataset[key];
    }).join(",");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var canvas = document.querySelector(".wm-canvas");
    var form = document.getElementById("wm-order-form");
    if (!canvas || !form || canvas.dataset.editable !== "true" || !window.Sortable) {
      return;
    }
    function changed() { form.classList.add("wm-dirty"); }
    var options = { animation: 150, forceFallback: true, fallbackTolerance: 3 };

    var stages = document.getElementById("wm-stages");
    Sortable.create(stages, Object.assign({}, options, {
      draggable: ".wm-stage",
      onEnd: function () {
        var order = ids(stages, "stageId");
        form.elements.stage_order.value = order;
        // Every lane follows the headers, so the columns stay whole.
        canvas.querySelectorAll(".wm-row:not(.wm-head) .wm-cells").forEach(function (row) {
          order.split(",").forEach(function (id) {
            var cell = row.querySelector('[data-stage-id="' + id + '"]');
            if (cell) { row.appendChild(cell); }
          });
        });
        stages.querySelectorAll(".wm-pos").forEach(function (el, index) {
          el.textContent = index + 1;
        });
        canvas.querySelector(".wm-emotion").classList.add("wm-stale");
        changed();
      },
    }));

    canvas.querySelectorAll('[data-lane="touchpoints"] .wm-cell').forEach(function (cell) {
      Sortable.create(cell, Object.assign({}, options, {
        draggable: ".wm-placement",
        onEnd: function () {
          form.elements["touchpoints-" + cell.dataset.stageId].value = ids(cell, "placementId");
          changed();
        },
      }));
    });
  });
})();
