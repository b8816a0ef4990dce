/* Why a campaign's call was made, as the pop says it (a callback pop's "回拨 / Callback" line). The
 * callbacks page says the same from the same catalog keys (cti/http/callback_support.py, ``why``).
 *
 * ``o`` is a pop message's ``origin``: {kind, campaign, source, reason, queue, waited, scheduled_by,
 * scheduled_by_name, contact_id, attempt, ticket}. Every value is text: the caller of ``why`` puts the
 * sentence in with textContent.
 */

export function why(t, o) {
  "use strict";
  if (!o || typeof o !== "object") return "";
  var campaign = typeof o.campaign === "string" ? o.campaign : "";
  var reason = typeof o.reason === "string" ? o.reason : "";
  if (o.kind === "survey") return t("callback.why.survey", { campaign: campaign });
  if (o.kind === "notification") return t("callback.why.notification", { campaign: campaign });
  if (o.source === "abandoned") {
    if (typeof o.waited !== "number") return t("callback.why.abandoned_short");
    return o.queue ? t("callback.why.abandoned", { queue: o.queue, waited: o.waited })
      : t("callback.why.abandoned_noqueue", { waited: o.waited });
  }
  if (o.source === "dial") return t("callback.why.dial", { name: o.scheduled_by_name || o.scheduled_by || "?" });
  if (o.source === "agent") {
    var name = o.scheduled_by_name || o.scheduled_by || "?";
    return reason ? t("callback.why.agent", { name: name, reason: reason }) : t("callback.why.agent_plain", { name: name });
  }
  return reason ? t("callback.why.campaign", { campaign: campaign, reason: reason })
    : t("callback.why.campaign_plain", { campaign: campaign });
}
