/* espy-report.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-report.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "espy-build-runner.h"
#include "espy-install-job.h"

/* --- redaction -------------------------------------------------------------- */

/* Patterns compiled once; GRegex is thread-safe for matching. */
static GRegex *
regex_once (GRegex    **slot,
            const char *pattern)
{
  if (g_once_init_enter (slot))
    {
      GRegex *re = g_regex_new (pattern, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);

      g_assert (re != NULL);
      g_once_init_leave (slot, re);
    }
  return *slot;
}

char *
espy_report_redact (const char         *text,
                    const char * const *extra)
{
  static GRegex *marker_re, *auth_re, *setting_re, *key_re, *url_re;
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
  char *out;

  if (text == NULL)
    return NULL;

  /* ESPHome wraps secrets in its logs in ESC[5m … ESC[6m (wire doc §6). An
   * unterminated marker hides the rest of the line. */
  a = g_regex_replace_literal (regex_once (&marker_re, "\\x1b\\[5m.*?(\\x1b\\[6m|$)"),
                               text, -1, 0, ESPY_REPORT_REDACTED, G_REGEX_MATCH_NEWLINE_ANY, NULL);
  b = g_regex_replace (regex_once (&auth_re, "((?:proxy-)?authorization\\s*[:=]\\s*)[^\\r\\n]*"),
                       a, -1, 0, "\\1" ESPY_REPORT_REDACTED, 0, NULL);
  c = g_regex_replace (regex_once (&setting_re,
                                   "\\b((?:[a-z_]*password|passwd|passphrase|[a-z_]*key|psk|secret|token)"
                                   "\"?\\s*[:=]\\s*)(\"[^\"]*\"|'[^']*'|[^\\s,;}]+)"),
                       b, -1, 0, "\\1" ESPY_REPORT_REDACTED, 0, NULL);
  /* An API / OTA encryption key: base64 of 32 bytes. */
  d = g_regex_replace_literal (regex_once (&key_re, "(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}="),
                               c, -1, 0, ESPY_REPORT_REDACTED, 0, NULL);
  /* user:password@ in URLs */
  out = g_regex_replace (regex_once (&url_re, "(://[^/\\s:@]+:)[^/\\s@]+@"),
                         d, -1, 0, "\\1" ESPY_REPORT_REDACTED "@", 0, NULL);

  for (gsize i = 0; extra != NULL && extra[i] != NULL; i++)
    {
      g_auto(GStrv) parts = NULL;

      /* Very short "secrets" would redact ordinary words. */
      if (strlen (extra[i]) < 3 || strstr (out, extra[i]) == NULL)
        continue;
      parts = g_strsplit (out, extra[i], -1);
      g_free (out);
      out = g_strjoinv (ESPY_REPORT_REDACTED, parts);
    }
  return out;
}

/* --- parts ------------------------------------------------------------------ */

char *
espy_report_format_time (gint64 wall_us)
{
  g_autoptr(GDateTime) dt = NULL;

  if (wall_us <= 0)
    return g_strdup ("—");
  dt = g_date_time_new_from_unix_local (wall_us / G_USEC_PER_SEC);
  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S") : g_strdup ("—");
}

static const char *
stage_title (const char *nick)
{
  GEnumClass *klass = g_type_class_ref (ESPY_TYPE_INSTALL_STATE);
  GEnumValue *value = g_enum_get_value_by_nick (klass, nick);
  const char *title = value != NULL ? espy_install_state_describe (value->value) : NULL;

  g_type_class_unref (klass);
  if (title != NULL)
    return title;
  if (g_strcmp0 (nick, "building") == 0)
    return _("Building");
  return nick;
}

char *
espy_report_format_timeline (const EspyInstallAttempt *attempt)
{
  GString *s = g_string_new (NULL);

  if (attempt == NULL || attempt->stages == NULL)
    return g_string_free (s, FALSE);

  for (guint i = 0; i < attempt->stages->len; i++)
    {
      const EspyInstallAttemptStage *st = &g_array_index (attempt->stages, EspyInstallAttemptStage, i);
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (st->started / G_USEC_PER_SEC);
      g_autofree char *clock = dt != NULL ? g_date_time_format (dt, "%H:%M:%S") : g_strdup ("--:--:--");
      gboolean failed = i == attempt->stages->len - 1 && g_strcmp0 (attempt->result, "failed") == 0;

      g_string_append_printf (s, "%s.%03d  %-24s", clock, (int) ((st->started / 1000) % 1000),
                              stage_title (st->name));
      if (st->finished > 0 && st->finished >= st->started)
        g_string_append_printf (s, "  %.1f s", (double) (st->finished - st->started) / G_USEC_PER_SEC);
      if (failed)
        g_string_append_printf (s, "  ← %s", _("failed here"));
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}

char *
espy_report_format_checks (GPtrArray *checks)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; checks != NULL && i < checks->len; i++)
    {
      const EspyCheckResult *r = g_ptr_array_index (checks, i);
      const char *mark = r->status == ESPY_CHECK_STATUS_PASS ? "✓"
                         : r->status == ESPY_CHECK_STATUS_FAIL ? "✗" : "–";

      g_string_append_printf (s, "%s %-22s %s", mark, espy_check_id_describe (r->id),
                              r->summary != NULL ? r->summary : "");
      if (r->status != ESPY_CHECK_STATUS_SKIPPED)
        g_string_append_printf (s, " (%u ms)", r->elapsed_ms);
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}

char *
espy_report_format_diagnosis (const EspyDiagnosis *diagnosis)
{
  GString *s = g_string_new (NULL);

  if (diagnosis == NULL)
    return g_string_free (s, FALSE);

  g_string_append_printf (s, "%s\n%s\n", diagnosis->title, diagnosis->explanation);
  for (guint i = 0; i < diagnosis->findings->len; i++)
    g_string_append_printf (s, "  • %s\n", (const char *) g_ptr_array_index (diagnosis->findings, i));
  for (guint i = 0; i < diagnosis->steps->len; i++)
    {
      const EspyDiagnosisStep *step = g_ptr_array_index (diagnosis->steps, i);

      g_string_append_printf (s, "%u. %s\n", i + 1, step->text);
    }
  return g_string_free (s, FALSE);
}

double
espy_report_attempt_mean_rate (const EspyInstallAttempt *attempt)
{
  const EspyInstallRateSample *first, *last;

  if (attempt == NULL || attempt->rate_samples == NULL || attempt->rate_samples->len < 2)
    return 0;
  first = &g_array_index (attempt->rate_samples, EspyInstallRateSample, 0);
  last = &g_array_index (attempt->rate_samples, EspyInstallRateSample, attempt->rate_samples->len - 1);
  if (last->elapsed_ms <= first->elapsed_ms || last->acked < first->acked)
    return 0;
  return (double) (last->acked - first->acked) * 1000.0 / (double) (last->elapsed_ms - first->elapsed_ms);
}

/* --- the whole report ------------------------------------------------------- */

static void
heading (GString    *s,
         const char *title)
{
  g_string_append_printf (s, "\n== %s ==\n", title);
}

char *
espy_report_build (const EspyReportInput *input)
{
  GString *s = g_string_new (NULL);
  g_autofree char *now = espy_report_format_time (g_get_real_time ());
  const EspyInstallAttempt *a;
  g_autofree char *raw = NULL;

  g_return_val_if_fail (input != NULL, NULL);
  a = input->attempt;

  g_string_append_printf (s, "%s\n", _("Espy troubleshooting report"));
  g_string_append_printf (s, "%s: %s\n", _("Created"), now);
  g_string_append_printf (s, "%s: %s\n", _("Espy"), PACKAGE_VERSION);
  if (input->device != NULL || (a != NULL && a->device_name != NULL))
    g_string_append_printf (s, "%s: %s\n", _("Device"), input->device != NULL ? input->device : a->device_name);
  if (input->host != NULL)
    g_string_append_printf (s, "%s: %s\n", _("Address"), input->host);

  if (a != NULL)
    {
      g_autofree char *started = espy_report_format_time (a->started);
      g_autofree char *timeline = espy_report_format_timeline (a);
      double rate = espy_report_attempt_mean_rate (a);

      heading (s, _("Install attempt"));
      g_string_append_printf (s, "%s: %s\n", _("Started"), started);
      g_string_append_printf (s, "%s: %s\n", _("Result"), a->result != NULL ? a->result : "—");
      if (a->failed_state != NULL)
        g_string_append_printf (s, "%s: %s\n", _("Failed while"), stage_title (a->failed_state));
      if (a->error_message != NULL)
        g_string_append_printf (s, "%s: %s\n", _("Error"), a->error_message);
      if (a->error_domain != NULL || a->error_code != NULL)
        g_string_append_printf (s, "%s: %s/%s\n", _("Error code"), a->error_domain ? a->error_domain : "?",
                                a->error_code ? a->error_code : "?");
      if (a->device_code >= 0)
        g_string_append_printf (s, "%s: 0x%02X\n", _("Device response"), (guint) a->device_code);
      if (a->transport != NULL)
        g_string_append_printf (s, "%s: %s%s%s\n", _("Transport"), a->transport,
                                a->transport_reason != NULL ? " — " : "",
                                a->transport_reason != NULL ? a->transport_reason : "");
      if (a->image_name != NULL)
        g_string_append_printf (s, "%s: %s, %" G_GUINT64_FORMAT " %s, MD5 %s%s\n", _("Image"), a->image_name,
                                a->image_size, _("bytes"), a->image_md5 != NULL ? a->image_md5 : "—",
                                a->compressed ? _(", sent compressed") : "");
      g_string_append_printf (s, "%s: %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT "\n",
                              _("Bytes sent / acknowledged / total"), a->bytes_sent, a->bytes_acked,
                              a->bytes_total);
      if (rate > 0)
        g_string_append_printf (s, "%s: %.1f kB/s\n", _("Mean upload rate"), rate / 1000.0);
      if (a->old_version != NULL || a->new_version != NULL)
        g_string_append_printf (s, "%s: %s → %s\n", _("Version"), a->old_version ? a->old_version : "?",
                                a->new_version ? a->new_version : "?");
      if (a->verify != NULL)
        g_string_append_printf (s, "%s: %s\n", _("After the reboot"), a->verify);
      if (*timeline != '\0')
        g_string_append_printf (s, "\n%s", timeline);
    }

  if (input->checks != NULL && input->checks->len > 0)
    {
      g_autofree char *checks = espy_report_format_checks (input->checks);

      heading (s, _("Checks"));
      g_string_append (s, checks);
    }

  if (input->diagnosis != NULL)
    {
      g_autofree char *diag = espy_report_format_diagnosis (input->diagnosis);

      heading (s, _("Diagnosis"));
      g_string_append (s, diag);
    }

  if (input->log_lines != NULL && input->log_lines[0] != NULL)
    {
      heading (s, _("Device log"));
      for (gsize i = 0; input->log_lines[i] != NULL; i++)
        {
          /* Redact first: the secret markers are escape sequences too. */
          g_autofree char *redacted = espy_report_redact (input->log_lines[i], input->secrets);
          g_autofree char *plain = espy_build_strip_ansi (redacted);

          g_string_append_printf (s, "%s\n", plain);
        }
    }

  raw = g_string_free (s, FALSE);
  return espy_report_redact (raw, input->secrets);
}
