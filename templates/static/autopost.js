// Submits the token form as soon as the page loads. Without JavaScript the
// page shows a Continue button instead; either way the browser POSTs.
document.getElementById("autopost").submit();
