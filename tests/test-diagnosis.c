/* test-diagnosis.c: the diagnosis table over every error code of every
 * domain a failed install can end with, and the list of causes.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <string.h>

#include "espy-api-client.h"
#include "espy-build-runner.h"
#include "espy-diagnosis.h"
#include "espy-firmware-image.h"
#include "espy-install-job.h"
#include "espy-ota-error.h"
#include "espy-report.h"
#include "espy-web-ota-client.h"

/* --- helpers -------------------------------------------------------------- */

static EspyInstallAttempt *
failed_attempt (GQuark      domain,
                int         code,
                const char *failed_state,
                int         device_code,
                const char *message)
{
  g_autoptr(GError) error = g_error_new_literal (domain, code, message != NULL ? message : "failure");
  EspyInstallAttempt *a = espy_install_attempt_new ();

  espy_install_attempt_set_string (a, &a->device_name, "kitchen");
  espy_install_attempt_set_string (a, &a->result, "failed");
  espy_install_attempt_set_string (a, &a->failed_state, failed_state);
  espy_install_attempt_set_string (a, &a->error_domain, espy_install_error_domain_nick (error));
  espy_install_attempt_set_string (a, &a->error_code, espy_install_error_code_nick (error));
  espy_install_attempt_set_string (a, &a->error_message, error->message);
  a->device_code = device_code;
  return a;
}

static EspyDiagnosis *
diagnose (const EspyInstallAttempt *a,
          GPtrArray                *checks,
          const char * const       *logs,
          const char               *platform)
{
  EspyDiagnosisInput input = { a, checks, logs, platform, NULL };

  return espy_diagnose (&input);
}

static gboolean
has_action (EspyDiagnosis       *d,
            EspyDiagnosisAction  action)
{
  for (guint i = 0; i < d->steps->len; i++)
    if (((EspyDiagnosisStep *) g_ptr_array_index (d->steps, i))->action == action)
      return TRUE;
  return FALSE;
}

static gboolean
steps_mention (EspyDiagnosis *d,
               const char    *needle)
{
  for (guint i = 0; i < d->steps->len; i++)
    if (strstr (((EspyDiagnosisStep *) g_ptr_array_index (d->steps, i))->text, needle) != NULL)
      return TRUE;
  return FALSE;
}

static EspyDiagnosisAction
first_action (EspyDiagnosis *d)
{
  g_assert_cmpuint (d->steps->len, >, 0);
  return ((EspyDiagnosisStep *) g_ptr_array_index (d->steps, 0))->action;
}

static void
add_check (GPtrArray       *checks,
           EspyCheckId      id,
           EspyCheckStatus  status,
           const char      *domain,
           const char      *code)
{
  EspyCheckResult *r = espy_check_result_new (id, status, "summary");

  r->error_domain = g_strdup (domain);
  r->error_code = g_strdup (code);
  g_ptr_array_add (checks, r);
}

/* --- every code of every domain ------------------------------------------- */

typedef struct {
  const char *name;
  GQuark      domain;
  int         last;       /* the highest code of the enum */
} Domain;

static void
test_every_code (void)
{
  const Domain domains[] = {
    { "ota", ESPY_OTA_ERROR, ESPY_OTA_ERROR_NETWORK },
    { "web-ota", ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_CLOSED },
    { "firmware", ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_COMPRESS },
    { "install", ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_PASSWORD_REQUIRED },
    { "build", ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_NO_FIRMWARE },
    { "api", ESPY_API_ERROR, ESPY_API_ERROR_NOT_CONNECTED },
  };
  const char * const states[] = { "preparing", "connecting", "uploading", "rebooting", "verifying" };
  guint total = 0;

  for (gsize d = 0; d < G_N_ELEMENTS (domains); d++)
    for (int code = 0; code <= domains[d].last; code++)
      for (gsize s = 0; s < G_N_ELEMENTS (states); s++)
        {
          g_autoptr(EspyInstallAttempt) a = failed_attempt (domains[d].domain, code, states[s], -1, NULL);
          g_autoptr(EspyDiagnosis) diag = diagnose (a, NULL, NULL, NULL);

          /* The nick functions know the code (no fallback names). */
          g_assert_cmpstr (a->error_domain, ==, domains[d].name);
          g_assert_cmpstr (a->error_code, !=, "unknown");
          g_assert_cmpstr (a->error_code, !=, domains[d].name);

          if (diag->generic)
            g_error ("%s/%s (code %d) in %s has only the generic diagnosis", a->error_domain, a->error_code,
                     code, states[s]);
          g_assert_cmpstr (diag->cause, !=, "unknown");
          g_assert_cmpstr (diag->cause, !=, "succeeded");
          g_assert_true (diag->title != NULL && *diag->title != '\0');
          g_assert_true (diag->explanation != NULL && strlen (diag->explanation) > 20);
          g_assert_cmpuint (diag->steps->len, >=, 1);
          total++;
        }
  g_assert_cmpuint (total, >, 60 * G_N_ELEMENTS (states));
}

/* Every device response byte of the wire doc, even without an error nick
 * (a record from a future Espy): non-generic by the byte alone. */
static void
test_every_device_byte (void)
{
  const guint8 bytes[] = { 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x94 };

  for (gsize i = 0; i < G_N_ELEMENTS (bytes); i++)
    {
      g_autoptr(EspyInstallAttempt) a = espy_install_attempt_new ();
      g_autoptr(EspyDiagnosis) diag = NULL;

      espy_install_attempt_set_string (a, &a->result, "failed");
      espy_install_attempt_set_string (a, &a->error_domain, "ota");
      espy_install_attempt_set_string (a, &a->error_code, "something-new");
      espy_install_attempt_set_string (a, &a->failed_state, "uploading");
      a->device_code = bytes[i];
      diag = diagnose (a, NULL, NULL, NULL);
      g_assert_false (diag->generic);
    }

  /* And a truly unknown failure is generic, not made up. */
  {
    g_autoptr(EspyInstallAttempt) a = espy_install_attempt_new ();
    g_autoptr(EspyDiagnosis) diag = NULL;

    espy_install_attempt_set_string (a, &a->result, "failed");
    espy_install_attempt_set_string (a, &a->error_domain, "error");
    espy_install_attempt_set_string (a, &a->error_code, "error");
    diag = diagnose (a, NULL, NULL, NULL);
    g_assert_true (diag->generic);
    g_assert_cmpstr (diag->cause, ==, "unknown");
  }
}

/* --- the bullets, one by one ------------------------------------- */

typedef struct {
  GQuark       domain;
  int          code;
  const char  *failed_state;
  int          device_code;
  const char  *platform;
  const char  *log;
  const char  *message;
  const char  *cause;
  EspyDiagnosisAction must_have;  /* NONE: no requirement */
  const char  *mentions;          /* in explanation or steps, or NULL */
} Row;

static void
test_table (void)
{
  const Row rows[] = {
    /* timeouts / refused */
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_TIMEOUT, "connecting", -1, NULL, NULL, NULL, "timeout",
      ESPY_DIAGNOSIS_ACTION_USE_ADDRESS, "another upload" },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_TIMEOUT, "connecting", -1, NULL, NULL, NULL, "timeout",
      ESPY_DIAGNOSIS_ACTION_SHOW_LOGS, "VLAN" },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_CONNECTION_REFUSED, "connecting", -1, NULL, NULL, NULL, "connection-refused",
      ESPY_DIAGNOSIS_ACTION_RETRY, "ota: port:" },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_RESOLVE, "connecting", -1, NULL, NULL, NULL, "name-not-found",
      ESPY_DIAGNOSIS_ACTION_USE_ADDRESS, "repeater" },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_UNREACHABLE, "connecting", -1, NULL, NULL, NULL, "unreachable",
      ESPY_DIAGNOSIS_ACTION_USE_ADDRESS, NULL },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_TIMEOUT, "uploading", -1, NULL, NULL, NULL, "upload-stalled",
      ESPY_DIAGNOSIS_ACTION_RETRY, NULL },
    /* passwords */
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_PASSWORD_REQUIRED, "connecting", -1, NULL, NULL, NULL, "password-required",
      ESPY_DIAGNOSIS_ACTION_CHANGE_PASSWORD, NULL },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_PASSWORD_REJECTED, "connecting", 0x82, NULL, NULL, NULL, "password-rejected",
      ESPY_DIAGNOSIS_ACTION_CHANGE_PASSWORD, "still expects" },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_SHA256_REQUIRED, "connecting", 0x82, NULL, NULL, NULL, "sha256-required",
      ESPY_DIAGNOSIS_ACTION_RETRY, "2026.1" },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_ENCRYPTION_REQUIRED, "connecting", 0x94, NULL, NULL, NULL,
      "encryption-required", ESPY_DIAGNOSIS_ACTION_RETRY_WEB, "encryption" },
    /* device codes */
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_INVALID_BOOTSTRAPPING, "uploading", 0x85, "ESP8266", NULL, NULL,
      "invalid-bootstrapping", ESPY_DIAGNOSIS_ACTION_POWER_CYCLE, "serial flash" },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_ESP8266_NOT_ENOUGH_SPACE, "uploading", 0x88, NULL, NULL, NULL,
      "not-enough-space", ESPY_DIAGNOSIS_ACTION_OPEN_YAML, "minimal intermediate firmware" },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_PREPARE_FAILED, "uploading", 0x81, "ESP8266", NULL, NULL,
      "not-enough-space", ESPY_DIAGNOSIS_ACTION_OPEN_YAML, "minimal intermediate firmware" },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_ESP32_NOT_ENOUGH_SPACE, "uploading", 0x89, "ESP32", NULL, NULL,
      "not-enough-space", ESPY_DIAGNOSIS_ACTION_OPEN_YAML, "OTA partition" },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_RP2040_NOT_ENOUGH_SPACE, "uploading", 0x8C, "RP2040", NULL, NULL,
      "not-enough-space", ESPY_DIAGNOSIS_ACTION_OPEN_YAML, NULL },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_WRITE_FAILED, "uploading", 0x83, NULL, NULL, NULL, "flash-write-failed",
      ESPY_DIAGNOSIS_ACTION_RETRY, "power" },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_END_FAILED, "uploading", 0x84, NULL, NULL, NULL, "flash-write-failed",
      ESPY_DIAGNOSIS_ACTION_RETRY, "flash" },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_MD5_MISMATCH, "uploading", 0x8B, NULL, NULL, NULL, "flash-write-failed",
      ESPY_DIAGNOSIS_ACTION_RETRY, NULL },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_WRONG_CURRENT_FLASH_CONFIG, "uploading", 0x86, NULL, NULL, NULL,
      "flash-config", ESPY_DIAGNOSIS_ACTION_OPEN_YAML, "flash size" },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_WRONG_NEW_FLASH_CONFIG, "uploading", 0x87, NULL, NULL, NULL,
      "flash-config", ESPY_DIAGNOSIS_ACTION_OPEN_YAML, NULL },
    /* ESP8266 out of memory */
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_NETWORK, "uploading", -1, "ESP8266", NULL, NULL, "out-of-memory",
      ESPY_DIAGNOSIS_ACTION_RETRY, "log viewers" },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_DEVICE_UNKNOWN, "uploading", 0xFF, "ESP8266",
      "[E][ota:120]: Not enough memory for OTA", NULL, "out-of-memory", ESPY_DIAGNOSIS_ACTION_RETRY,
      "already closed its own" },
    /* old firmware, rollback, safe mode, crash after update */
    { ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_OLD_FIRMWARE, "verifying", -1, NULL, NULL, NULL, "old-firmware",
      ESPY_DIAGNOSIS_ACTION_SHOW_LOGS, "OTA rollback detected" },
    { ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_OLD_FIRMWARE, "verifying", -1, NULL,
      "\033[0;33m[W][ota:045]: OTA rollback detected! Rolled back from partition 'app1'\033[0m", NULL,
      "rollback", ESPY_DIAGNOSIS_ACTION_OPEN_YAML, "safe mode accepts OTA" },
    { ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_OLD_FIRMWARE, "verifying", -1, NULL,
      "\033[1;31m[E][safe_mode:079]: SAFE MODE IS ACTIVE\033[0m", NULL, "safe-mode",
      ESPY_DIAGNOSIS_ACTION_OPEN_YAML, "USB" },
    { ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_NOT_BACK, "rebooting", -1, NULL, NULL, NULL, "not-back",
      ESPY_DIAGNOSIS_ACTION_SHOW_LOGS, "USB" },
    { ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_NOT_BACK, "rebooting", -1, NULL,
      "[E][safe_mode:079]: SAFE MODE IS ACTIVE", NULL, "safe-mode", ESPY_DIAGNOSIS_ACTION_OPEN_YAML, NULL },
    /* wrong images */
    { ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_FACTORY_IMAGE, "preparing", -1, NULL, NULL, NULL, "factory-image",
      ESPY_DIAGNOSIS_ACTION_CHOOSE_OTHER_FILE, "firmware.ota.bin" },
    { ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_NOT_FIRMWARE, "preparing", -1, NULL, NULL, NULL, "not-an-image",
      ESPY_DIAGNOSIS_ACTION_CHOOSE_OTHER_FILE, NULL },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_WRONG_MAGIC, "uploading", 0x80, NULL, NULL, NULL, "wrong-image",
      ESPY_DIAGNOSIS_ACTION_CHOOSE_OTHER_FILE, NULL },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_WRONG_MAGIC, "connecting", 0x80, NULL, NULL, NULL, "not-esphome-ota",
      ESPY_DIAGNOSIS_ACTION_OPEN_YAML, NULL },
    { ESPY_OTA_ERROR, ESPY_OTA_ERROR_END_FAILED, "uploading", 0x84, "ESP32",
      "[E][ota.idf:080]: esp_ota_end failed: ESP_ERR_OTA_VALIDATE_FAILED", NULL, "wrong-chip",
      ESPY_DIAGNOSIS_ACTION_OPEN_YAML, "another chip" },
    { ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_UPDATE_FAILED, "uploading", -1, NULL, NULL,
      "Update Failed: Wrong Magic Byte", "wrong-image", ESPY_DIAGNOSIS_ACTION_CHOOSE_OTHER_FILE, NULL },
    { ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_NO_WEB_OTA, "uploading", -1, NULL, NULL, NULL, "no-web-ota",
      ESPY_DIAGNOSIS_ACTION_RETRY, "platform: web_server" },
    { ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_WRONG_CREDENTIALS, "uploading", -1, NULL, NULL, NULL, "web-auth",
      ESPY_DIAGNOSIS_ACTION_RETRY_WEB, NULL },
    /* build and job */
    { ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_CONFIG_INVALID, "preparing", -1, NULL, NULL, NULL, "config-invalid",
      ESPY_DIAGNOSIS_ACTION_OPEN_YAML, NULL },
    { ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_BUSY, "pending", -1, NULL, NULL, NULL, "install-busy",
      ESPY_DIAGNOSIS_ACTION_RETRY, NULL },
    { ESPY_API_ERROR, ESPY_API_ERROR_WRONG_KEY, "verifying", -1, NULL, NULL, NULL, "api-key",
      ESPY_DIAGNOSIS_ACTION_OPEN_YAML, NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      const Row *r = &rows[i];
      g_autoptr(EspyInstallAttempt) a = failed_attempt (r->domain, r->code, r->failed_state, r->device_code,
                                                        r->message);
      const char *logs[] = { "[I][app:100]: Running", r->log, NULL };
      g_autoptr(EspyDiagnosis) d = diagnose (a, NULL, r->log != NULL ? logs : NULL, r->platform);
      g_autofree char *text = espy_report_format_diagnosis (d);

      g_test_message ("row %" G_GSIZE_FORMAT ": %s/%s -> %s", i, a->error_domain, a->error_code, d->cause);
      g_assert_cmpstr (d->cause, ==, r->cause);
      g_assert_false (d->generic);
      if (r->must_have != ESPY_DIAGNOSIS_ACTION_NONE && !has_action (d, r->must_have))
        g_error ("row %" G_GSIZE_FORMAT " (%s): no step with action %s", i, r->cause,
                 espy_diagnosis_action_to_nick (r->must_have));
      if (r->mentions != NULL && strstr (text, r->mentions) == NULL)
        g_error ("row %" G_GSIZE_FORMAT " (%s) does not mention “%s”:\n%s", i, r->cause, r->mentions, text);
    }
}

/* The ESP8266 advice is for ESP8266s: an ESP32 out of space gets none. */
static void
test_platform_specific (void)
{
  g_autoptr(EspyInstallAttempt) a = failed_attempt (ESPY_OTA_ERROR, ESPY_OTA_ERROR_ESP32_NOT_ENOUGH_SPACE,
                                                    "uploading", 0x89, NULL);
  g_autoptr(EspyDiagnosis) esp32 = diagnose (a, NULL, NULL, "ESP32");
  g_autoptr(EspyInstallAttempt) b = failed_attempt (ESPY_OTA_ERROR, ESPY_OTA_ERROR_NETWORK, "uploading", -1, NULL);
  g_autoptr(EspyDiagnosis) lost32 = diagnose (b, NULL, NULL, "ESP32");

  g_assert_false (steps_mention (esp32, "ESP8266"));
  g_assert_cmpstr (lost32->cause, ==, "connection-lost");
}

/* --- checks change the answer --------------------------------------------- */

static void
test_checks (void)
{
  g_autoptr(GPtrArray) busy = g_ptr_array_new_with_free_func ((GDestroyNotify) espy_check_result_free);
  g_autoptr(GPtrArray) vlan = g_ptr_array_new_with_free_func ((GDestroyNotify) espy_check_result_free);
  g_autoptr(GPtrArray) fine = g_ptr_array_new_with_free_func ((GDestroyNotify) espy_check_result_free);
  g_autoptr(EspyInstallAttempt) timeout = failed_attempt (ESPY_OTA_ERROR, ESPY_OTA_ERROR_TIMEOUT, "connecting",
                                                          -1, NULL);
  g_autoptr(EspyDiagnosis) d1 = NULL, d2 = NULL, d3 = NULL, d4 = NULL, d5 = NULL;

  /* Port open, handshake silent: another upload in progress. */
  add_check (busy, ESPY_CHECK_OTA_PORT, ESPY_CHECK_STATUS_PASS, NULL, NULL);
  add_check (busy, ESPY_CHECK_OTA_HANDSHAKE, ESPY_CHECK_STATUS_FAIL, "ota", "timeout");
  d1 = diagnose (timeout, busy, NULL, NULL);
  g_assert_cmpstr (d1->cause, ==, "busy");
  g_assert_nonnull (strstr (d1->title, "Another upload"));
  g_assert_cmpuint (d1->findings->len, ==, 1);
  /* The checks alone say the same. */
  d2 = diagnose (NULL, busy, NULL, NULL);
  g_assert_cmpstr (d2->cause, ==, "busy");

  /* Another subnet and no mDNS: the first step is to use the address. */
  add_check (vlan, ESPY_CHECK_MDNS, ESPY_CHECK_STATUS_FAIL, "io", "resolve");
  add_check (vlan, ESPY_CHECK_DNS, ESPY_CHECK_STATUS_PASS, NULL, NULL);
  add_check (vlan, ESPY_CHECK_SUBNET, ESPY_CHECK_STATUS_FAIL, "io", "other-subnet");
  add_check (vlan, ESPY_CHECK_OTA_PORT, ESPY_CHECK_STATUS_FAIL, "io", "timeout");
  d3 = diagnose (timeout, vlan, NULL, NULL);
  g_assert_cmpstr (d3->cause, ==, "timeout");
  g_assert_cmpint (first_action (d3), ==, ESPY_DIAGNOSIS_ACTION_USE_ADDRESS);
  g_assert_cmpuint (d3->findings->len, ==, 3);

  /* Everything answers now: a healthy device, and a retry first for the old failure. */
  add_check (fine, ESPY_CHECK_OTA_PORT, ESPY_CHECK_STATUS_PASS, NULL, NULL);
  add_check (fine, ESPY_CHECK_OTA_HANDSHAKE, ESPY_CHECK_STATUS_PASS, NULL, NULL);
  d4 = diagnose (NULL, fine, NULL, NULL);
  g_assert_cmpstr (d4->cause, ==, "healthy");
  d5 = diagnose (timeout, fine, NULL, NULL);
  g_assert_cmpint (first_action (d5), ==, ESPY_DIAGNOSIS_ACTION_RETRY);

  /* Connecting by address already: no "use the address" advice. */
  {
    EspyDiagnosisInput by_name = { timeout, vlan, NULL, NULL, "kitchen.local" };
    EspyDiagnosisInput by_address = { timeout, vlan, NULL, NULL, "192.168.20.7" };
    g_autoptr(EspyDiagnosis) n = espy_diagnose (&by_name);
    g_autoptr(EspyDiagnosis) ad = espy_diagnose (&by_address);

    g_assert_true (has_action (n, ESPY_DIAGNOSIS_ACTION_USE_ADDRESS));
    g_assert_false (has_action (ad, ESPY_DIAGNOSIS_ACTION_USE_ADDRESS));
    g_assert_cmpuint (ad->steps->len, >, 0);
  }
}

/* Pure: the same input gives the same answer, and the input is untouched. */
static void
test_pure (void)
{
  g_autoptr(EspyInstallAttempt) a = failed_attempt (ESPY_OTA_ERROR, ESPY_OTA_ERROR_PASSWORD_REJECTED,
                                                    "connecting", 0x82, NULL);
  g_autofree char *before = espy_install_attempt_to_string (a);
  g_autoptr(EspyDiagnosis) d1 = diagnose (a, NULL, NULL, NULL);
  g_autoptr(EspyDiagnosis) d2 = diagnose (a, NULL, NULL, NULL);
  g_autofree char *t1 = espy_report_format_diagnosis (d1);
  g_autofree char *t2 = espy_report_format_diagnosis (d2);
  g_autofree char *after = espy_install_attempt_to_string (a);

  g_assert_cmpstr (t1, ==, t2);
  g_assert_cmpstr (before, ==, after);
}

static void
test_succeeded_and_cancelled (void)
{
  g_autoptr(EspyInstallAttempt) ok = espy_install_attempt_new ();
  g_autoptr(EspyInstallAttempt) cancelled = failed_attempt (G_IO_ERROR, G_IO_ERROR_CANCELLED, "uploading", -1, NULL);
  g_autoptr(EspyDiagnosis) d1 = NULL, d2 = NULL, d3 = NULL;

  espy_install_attempt_set_string (ok, &ok->result, "succeeded");
  d1 = diagnose (ok, NULL, NULL, NULL);
  g_assert_cmpstr (d1->cause, ==, "succeeded");
  espy_install_attempt_set_string (cancelled, &cancelled->result, "cancelled");
  d2 = diagnose (cancelled, NULL, NULL, NULL);
  g_assert_cmpstr (d2->cause, ==, "cancelled");
  d3 = diagnose (NULL, NULL, NULL, NULL);
  g_assert_cmpstr (d3->cause, ==, "no-data");
}

static void
test_action_nicks (void)
{
  const char * const expected[] = {
    NULL, "retry", "retry-web", "change-password", "show-logs", "open-yaml", "power-cycle", "use-address",
    "choose-other-file",
  };

  g_assert_cmpuint (G_N_ELEMENTS (expected), ==, ESPY_DIAGNOSIS_N_ACTIONS);
  for (guint i = 0; i < ESPY_DIAGNOSIS_N_ACTIONS; i++)
    {
      g_assert_cmpstr (espy_diagnosis_action_to_nick (i), ==, expected[i]);
      g_assert_true ((i == 0) == (espy_diagnosis_action_label (i) == NULL));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/diagnosis/every-code", test_every_code);
  g_test_add_func ("/diagnosis/every-device-byte", test_every_device_byte);
  g_test_add_func ("/diagnosis/table", test_table);
  g_test_add_func ("/diagnosis/platform-specific", test_platform_specific);
  g_test_add_func ("/diagnosis/checks", test_checks);
  g_test_add_func ("/diagnosis/pure", test_pure);
  g_test_add_func ("/diagnosis/succeeded-cancelled", test_succeeded_and_cancelled);
  g_test_add_func ("/diagnosis/action-nicks", test_action_nicks);

  return g_test_run ();
}
