/* espy-report.h: the plain-text troubleshooting report (attempt timeline,
 * checks, diagnosis, device log), with every secret redacted. Used by
 * "Copy report" / "Save report" and by espy-cli doctor / history.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "espy-device-checks.h"
#include "espy-diagnosis.h"
#include "espy-install-attempt.h"

G_BEGIN_DECLS

#define ESPY_REPORT_REDACTED "[redacted]"

/* TEXT with secrets replaced by ESPY_REPORT_REDACTED: ESPHome's secret
 * markers (ESC[5m … ESC[6m in log lines), Authorization headers, values of
 * password / key / psk / secret / token settings, base64 32-byte keys, and
 * each string of EXTRA (secrets the caller knows, e.g. the password in use;
 * may be NULL). */
char *espy_report_redact               (const char               *text,
                                        const char * const       *extra);

/* Everything a report can hold; every member may be NULL. */
typedef struct {
  const char               *device;       /* display name or host */
  const char               *host;
  const EspyInstallAttempt *attempt;
  const char * const       *log_lines;
  GPtrArray                *checks;       /* EspyCheckResult * */
  const EspyDiagnosis      *diagnosis;
  const char * const       *secrets;      /* extra strings to redact */
} EspyReportInput;

/* The whole report, redacted. */
char *espy_report_build                (const EspyReportInput    *input);

/* Parts of it, for front ends that lay them out themselves (not redacted:
 * they hold no secret by construction). */
/* "12:00:01.250  Connecting  (0.3 s)" lines of the attempt's stages. */
char *espy_report_format_timeline      (const EspyInstallAttempt *attempt);
/* "✓ OTA port  — answers in 2 ms" lines. */
char *espy_report_format_checks        (GPtrArray                *checks);
/* "1. Step…" lines with the cause title and explanation. */
char *espy_report_format_diagnosis     (const EspyDiagnosis      *diagnosis);
/* Mean upload rate over the attempt's samples in bytes/s (0 without). */
double espy_report_attempt_mean_rate   (const EspyInstallAttempt *attempt);
/* "2026-01-10 12:00:01" local time of wall-clock µs. */
char *espy_report_format_time          (gint64                    wall_us);

G_END_DECLS
