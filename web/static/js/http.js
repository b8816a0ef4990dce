/* Posting a form from a script: the session's CSRF token in its header, JSON back. */

export function postForm(url, fields, csrf) {
  var body = new URLSearchParams();
  Object.keys(fields).forEach(function (k) {
    if (fields[k] != null && fields[k] !== "") body.append(k, String(fields[k]));
  });
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
    body: body
  }).then(function (resp) {
    return resp.json().catch(function () { return {}; }).then(function (data) { return { status: resp.status, data: data }; });
  });
}

/* What to tell the agent when a request failed without a message of the server's. */
export function failure(t, status) {
  return status === 403 || status === 401 ? t("pop.session_expired") : t("pop.save_failed");
}
