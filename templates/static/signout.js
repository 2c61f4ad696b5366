// The "signing out" page: each party's sign-out message goes into its own
// hidden frame (a form posted into it, or its data-src loaded), and once
// every frame has loaded the page continues: the #continue form (the
// answer to the party that asked) is submitted, or the #continue link
// followed. A party that never answers must not keep the user waiting, so
// the page continues after a few seconds whatever the frames do. The
// listeners are in place before any frame navigates, so no load is
// missed.
(function () {
  var frames = document.querySelectorAll("iframe.signout");
  var left = frames.length;
  var done = false;
  function next() {
    if (done) {
      return;
    }
    done = true;
    var c = document.getElementById("continue");
    if (c.tagName === "FORM") {
      c.submit();
    } else {
      window.location.assign(c.href);
    }
  }
  function loaded() {
    left--;
    if (left <= 0) {
      next();
    }
  }
  frames.forEach(function (f) {
    f.addEventListener("load", loaded, { once: true });
  });
  document.querySelectorAll("form.signout").forEach(function (f) {
    f.submit();
  });
  frames.forEach(function (f) {
    if (f.dataset.src) {
      f.src = f.dataset.src;
    }
  });
  window.setTimeout(next, 5000);
})();
