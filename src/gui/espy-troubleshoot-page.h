/* espy-troubleshoot-page.h: why the last install to one device failed and
 * what to do: the diagnosis as steps with buttons, the checks (run when the
 * page is shown, and again on demand) each with a pass/fail icon and one
 * line, the timeline and upload rate of the failed attempt, and
 * "Copy Report" / "Save Report" (plain text, secrets redacted).
 *
 * Step buttons activate the window's actions with the device name as
 * parameter: win.install(s) (Retry), win.install-web(s), win.change-password(s),
 * win.show-logs(s), win.open-yaml(s), win.use-address(s),
 * win.choose-firmware(s). A step whose action the window does not have gets
 * no button.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "espy-device-checks.h"
#include "espy-device.h"
#include "espy-diagnosis.h"
#include "espy-history.h"
#include "espy-install-attempt.h"

G_BEGIN_DECLS

/* Properties: "device" (EspyDevice, construct-only), "attempt"
 * (EspyInstallAttempt, may be NULL), "diagnosis" (EspyDiagnosis, read-only),
 * "checks-running" (gboolean, read-only).
 * Signals: ::checks-finished () after each run of the checks.
 * Actions: page.run-checks, page.copy-report, page.save-report. */
#define ESPY_TYPE_TROUBLESHOOT_PAGE (espy_troubleshoot_page_get_type ())
G_DECLARE_FINAL_TYPE (EspyTroubleshootPage, espy_troubleshoot_page, ESPY, TROUBLESHOOT_PAGE, AdwBin)

/* ATTEMPT: the failed attempt to explain (NULL: only the checks). The
 * checks start when the page is first mapped. */
GtkWidget           *espy_troubleshoot_page_new               (EspyDevice           *device,
                                                               EspyInstallAttempt   *attempt);
EspyDevice          *espy_troubleshoot_page_get_device        (EspyTroubleshootPage *self);
EspyInstallAttempt  *espy_troubleshoot_page_get_attempt       (EspyTroubleshootPage *self);
void                 espy_troubleshoot_page_set_attempt       (EspyTroubleshootPage *self,
                                                               EspyInstallAttempt   *attempt);
/* The device's log around the failure (from the history). */
void                 espy_troubleshoot_page_set_log_lines     (EspyTroubleshootPage *self,
                                                               const char * const   *log_lines);
/* Optional helpers for the checks: the app's discovery, the OTA password
 * (kept in memory only) and the API key. */
void                 espy_troubleshoot_page_set_discovery     (EspyTroubleshootPage *self,
                                                               EspyDiscovery        *discovery);
void                 espy_troubleshoot_page_set_ota_password  (EspyTroubleshootPage *self,
                                                               const char           *password);
void                 espy_troubleshoot_page_set_api_key       (EspyTroubleshootPage *self,
                                                               const char           *key);
/* Bound of each check (default ESPY_DEVICE_CHECKS_DEFAULT_TIMEOUT_MS). */
void                 espy_troubleshoot_page_set_check_timeout (EspyTroubleshootPage *self,
                                                               guint                 timeout_ms);

void                 espy_troubleshoot_page_run_checks        (EspyTroubleshootPage *self);
gboolean             espy_troubleshoot_page_get_checks_running (EspyTroubleshootPage *self);
/* The last results (EspyCheckResult *), or NULL before the first run. */
GPtrArray           *espy_troubleshoot_page_get_checks        (EspyTroubleshootPage *self);
EspyDiagnosis       *espy_troubleshoot_page_get_diagnosis     (EspyTroubleshootPage *self);
/* What "Copy Report" copies (redacted). */
char                *espy_troubleshoot_page_build_report      (EspyTroubleshootPage *self);

G_END_DECLS
