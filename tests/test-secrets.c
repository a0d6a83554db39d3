/* test-secrets.c: per-device secrets in the sandbox's real gnome-keyring
 * (tests/test-env.sh), the lookup order, and that no secret is ever logged.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "espy-secrets.h"

/* Every value stored below; none may appear in any log message. */
static const char * const all_secrets[] = {
  "kitchen-ota-Zq81!", "porch-ota-Yw27?", "kitchen-web-Xv55#", "kitchen-api-key-Wu33=",
  "replaced-ota-Vt19$", "ota-secret-0815",
};

static GString *captured_log;
static gboolean keyring_checked;
static gboolean keyring_available;

/* Captures every message (debug included) and shows warnings and worse. */
static GLogWriterOutput
capture_writer (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (fields[i].length < 0)
      g_string_append_printf (captured_log, "%s=%s\n", fields[i].key, (const char *) fields[i].value);
    else
      {
        g_string_append_printf (captured_log, "%s=", fields[i].key);
        g_string_append_len (captured_log, fields[i].value, fields[i].length);
        g_string_append_c (captured_log, '\n');
      }

  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_standard_streams (log_level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

static void
assert_nothing_logged (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (all_secrets); i++)
    if (strstr (captured_log->str, all_secrets[i]) != NULL)
      g_error ("secret #%u appeared in a log message", i);
}

/* ---------------------------------------------------------------------- */
/* Blocking wrappers: each runs the main loop until its callback.          */

typedef struct {
  GAsyncResult *result;
} Wait;

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
}

static GAsyncResult *
wait_result (Wait *wait)
{
  while (wait->result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return wait->result;
}

static gboolean
store (const char      *device,
       EspySecretKind   kind,
       const char      *secret,
       GError         **error)
{
  Wait wait = { NULL };
  gboolean ok;

  espy_secrets_store_async (device, kind, secret, NULL, on_done, &wait);
  ok = espy_secrets_store_finish (wait_result (&wait), error);
  g_object_unref (wait.result);
  return ok;
}

static char *
lookup (const char      *device,
        EspySecretKind   kind,
        GError         **error)
{
  Wait wait = { NULL };
  char *secret;

  espy_secrets_lookup_async (device, kind, NULL, on_done, &wait);
  secret = espy_secrets_lookup_finish (wait_result (&wait), error);
  g_object_unref (wait.result);
  return secret;
}

static gboolean
clear (const char      *device,
       EspySecretKind   kind,
       GError         **error)
{
  Wait wait = { NULL };
  gboolean removed = FALSE;

  espy_secrets_clear_async (device, kind, NULL, on_done, &wait);
  g_assert_true (espy_secrets_clear_finish (wait_result (&wait), &removed, error) || *error != NULL);
  g_object_unref (wait.result);
  return removed;
}

static char *
resolve (EspyDeviceConfig *config,
         const char       *device,
         EspySecretKind    kind,
         EspySecretSource *source,
         GError          **error)
{
  Wait wait = { NULL };
  char *secret;

  espy_secrets_resolve_async (config, device, kind, NULL, on_done, &wait);
  secret = espy_secrets_resolve_finish (wait_result (&wait), source, error);
  g_object_unref (wait.result);
  return secret;
}

static void
assert_lookup (const char     *device,
               EspySecretKind  kind,
               const char     *expected)
{
  g_autoptr(GError) error = NULL;
  char *secret = lookup (device, kind, &error);

  g_assert_no_error (error);
  /* Not g_assert_cmpstr: a mismatch would print the secret. */
  if (g_strcmp0 (secret, expected) != 0)
    g_error ("lookup of %s/%s gave %s", device, espy_secret_kind_to_nick (kind),
             secret == NULL ? "nothing" : expected == NULL ? "a secret" : "another secret");
  espy_secret_free (secret);
}

/* Skips unless a Secret Service answers on the session bus. */
static gboolean
need_keyring (void)
{
  if (!keyring_checked)
    {
      g_autoptr(GError) error = NULL;
      char *secret;

      keyring_checked = TRUE;
      if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") != NULL)
        {
          secret = lookup ("espy-test-probe", ESPY_SECRET_KIND_OTA_PASSWORD, &error);
          espy_secret_free (secret);
          if (error != NULL)
            g_test_message ("No keyring: %s", error->message);
          keyring_available = error == NULL;
        }
    }
  if (!keyring_available)
    g_test_skip ("no Secret Service on the session bus (run inside tests/test-env.sh)");
  return keyring_available;
}

static void
clear_all (const char *device)
{
  for (guint k = ESPY_SECRET_KIND_OTA_PASSWORD; k <= ESPY_SECRET_KIND_WEB_PASSWORD; k++)
    {
      g_autoptr(GError) error = NULL;

      clear (device, k, &error);
      g_assert_no_error (error);
    }
}

/* ---------------------------------------------------------------------- */

static void
test_nicks_and_labels (void)
{
  EspySecretKind kind = ESPY_SECRET_KIND_OTA_PASSWORD;
  g_autofree char *label = NULL;

  g_assert_cmpstr (espy_secrets_get_schema ()->name, ==, "io.github.espy.Espy.DeviceSecret");
  g_assert_cmpstr (espy_secret_kind_to_nick (ESPY_SECRET_KIND_OTA_PASSWORD), ==, "ota-password");
  g_assert_cmpstr (espy_secret_kind_to_nick (ESPY_SECRET_KIND_API_KEY), ==, "api-key");
  g_assert_cmpstr (espy_secret_kind_to_nick (ESPY_SECRET_KIND_WEB_USER), ==, "web-user");
  g_assert_cmpstr (espy_secret_kind_to_nick (ESPY_SECRET_KIND_WEB_PASSWORD), ==, "web-password");
  g_assert_true (espy_secret_kind_from_nick ("web-password", &kind));
  g_assert_cmpint (kind, ==, ESPY_SECRET_KIND_WEB_PASSWORD);
  g_assert_false (espy_secret_kind_from_nick ("password", &kind));

  label = espy_secrets_make_label ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD);
  g_assert_cmpstr (label, ==, "Espy: OTA password for kitchen");
}

static void
test_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autolist(SecretRetrievable) items = NULL;

  if (!need_keyring ())
    return;
  clear_all ("kitchen");

  assert_lookup ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, NULL);
  g_assert_true (store ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, "kitchen-ota-Zq81!", &error));
  g_assert_no_error (error);
  assert_lookup ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, "kitchen-ota-Zq81!");

  /* The keyring manager shows what it is. */
  {
    Wait wait = { NULL };

    secret_password_search (espy_secrets_get_schema (), SECRET_SEARCH_ALL, NULL, on_done, &wait,
                            "device", "kitchen", "kind", "ota-password", NULL);
    items = secret_password_search_finish (wait_result (&wait), &error);
    g_object_unref (wait.result);
  }
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_length (items), ==, 1);
  {
    g_autofree char *label = secret_retrievable_get_label (items->data);

    g_assert_cmpstr (label, ==, "Espy: OTA password for kitchen");
  }

  /* Storing again replaces, it does not add a second item. */
  g_assert_true (store ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, "replaced-ota-Vt19$", &error));
  g_assert_no_error (error);
  assert_lookup ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, "replaced-ota-Vt19$");

  g_assert_true (clear ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, &error));
  g_assert_no_error (error);
  assert_lookup ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, NULL);
  g_assert_false (clear ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, &error));
  g_assert_no_error (error);

  /* The capture sees debug messages, so the check below means something. */
  g_assert_nonnull (strstr (captured_log->str, "Storing the ota-password of kitchen"));
  assert_nothing_logged ();
}

static void
test_devices_separate (void)
{
  g_autoptr(GError) error = NULL;

  if (!need_keyring ())
    return;
  clear_all ("kitchen");
  clear_all ("porch");

  g_assert_true (store ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, "kitchen-ota-Zq81!", &error));
  g_assert_true (store ("porch", ESPY_SECRET_KIND_OTA_PASSWORD, "porch-ota-Yw27?", &error));
  g_assert_no_error (error);
  assert_lookup ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, "kitchen-ota-Zq81!");
  assert_lookup ("porch", ESPY_SECRET_KIND_OTA_PASSWORD, "porch-ota-Yw27?");
  /* Attributes match exactly, not by prefix. */
  assert_lookup ("kitch", ESPY_SECRET_KIND_OTA_PASSWORD, NULL);
  assert_lookup ("kitchen-2", ESPY_SECRET_KIND_OTA_PASSWORD, NULL);

  g_assert_true (clear ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, &error));
  assert_lookup ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, NULL);
  assert_lookup ("porch", ESPY_SECRET_KIND_OTA_PASSWORD, "porch-ota-Yw27?");
  clear_all ("porch");
  assert_nothing_logged ();
}

static void
test_kinds_separate (void)
{
  g_autoptr(GError) error = NULL;

  if (!need_keyring ())
    return;
  clear_all ("kitchen");

  g_assert_true (store ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, "kitchen-ota-Zq81!", &error));
  g_assert_true (store ("kitchen", ESPY_SECRET_KIND_WEB_PASSWORD, "kitchen-web-Xv55#", &error));
  g_assert_true (store ("kitchen", ESPY_SECRET_KIND_WEB_USER, "admin", &error));
  g_assert_no_error (error);
  assert_lookup ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, "kitchen-ota-Zq81!");
  assert_lookup ("kitchen", ESPY_SECRET_KIND_WEB_PASSWORD, "kitchen-web-Xv55#");
  assert_lookup ("kitchen", ESPY_SECRET_KIND_WEB_USER, "admin");
  assert_lookup ("kitchen", ESPY_SECRET_KIND_API_KEY, NULL);

  g_assert_true (clear ("kitchen", ESPY_SECRET_KIND_WEB_PASSWORD, &error));
  assert_lookup ("kitchen", ESPY_SECRET_KIND_WEB_PASSWORD, NULL);
  assert_lookup ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, "kitchen-ota-Zq81!");
  clear_all ("kitchen");
  assert_nothing_logged ();
}

static EspyDeviceConfig *
load_config (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", "build", name, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  EspyDeviceConfig *config = espy_device_config_new_for_file (file, NULL, &error);

  g_assert_no_error (error);
  return config;
}

/* The order without a keyring: from the YAML, or nothing. */
static void
test_from_config (void)
{
  g_autoptr(EspyDeviceConfig) kitchen = load_config ("kitchen.yaml");
  g_autoptr(EspyDeviceConfig) plug = load_config ("plug.yaml");
  const char *ota = espy_secrets_from_config (kitchen, ESPY_SECRET_KIND_OTA_PASSWORD);

  /* kitchen.yaml has "password: !secret ota_password". */
  g_assert_true (ota != NULL && strcmp (ota, "ota-secret-0815") == 0);
  g_assert_null (espy_secrets_from_config (kitchen, ESPY_SECRET_KIND_API_KEY));
  g_assert_null (espy_secrets_from_config (kitchen, ESPY_SECRET_KIND_WEB_USER));
  g_assert_null (espy_secrets_from_config (kitchen, ESPY_SECRET_KIND_WEB_PASSWORD));
  /* An esphome OTA entry without a password. */
  g_assert_null (espy_secrets_from_config (plug, ESPY_SECRET_KIND_OTA_PASSWORD));
  g_assert_null (espy_secrets_from_config (NULL, ESPY_SECRET_KIND_OTA_PASSWORD));
}

static void
test_resolve (void)
{
  g_autoptr(EspyDeviceConfig) kitchen = load_config ("kitchen.yaml");
  g_autoptr(GError) error = NULL;
  EspySecretSource source = ESPY_SECRET_SOURCE_NONE;
  char *secret;

  if (!need_keyring ())
    return;
  clear_all ("kitchen");

  /* The YAML wins even over a keyring entry. */
  g_assert_true (store ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, "kitchen-ota-Zq81!", &error));
  g_assert_no_error (error);
  secret = resolve (kitchen, NULL, ESPY_SECRET_KIND_OTA_PASSWORD, &source, &error);
  g_assert_no_error (error);
  g_assert_cmpint (source, ==, ESPY_SECRET_SOURCE_CONFIG);
  g_assert_true (g_strcmp0 (secret, "ota-secret-0815") == 0);
  espy_secret_free (secret);

  /* Not in the YAML: the keyring, under the config's node name. */
  g_assert_true (store ("kitchen", ESPY_SECRET_KIND_API_KEY, "kitchen-api-key-Wu33=", &error));
  g_assert_no_error (error);
  secret = resolve (kitchen, NULL, ESPY_SECRET_KIND_API_KEY, &source, &error);
  g_assert_no_error (error);
  g_assert_cmpint (source, ==, ESPY_SECRET_SOURCE_KEYRING);
  g_assert_true (g_strcmp0 (secret, "kitchen-api-key-Wu33=") == 0);
  espy_secret_free (secret);

  /* Without a config (a device found on the network). */
  secret = resolve (NULL, "kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, &source, &error);
  g_assert_no_error (error);
  g_assert_cmpint (source, ==, ESPY_SECRET_SOURCE_KEYRING);
  g_assert_true (g_strcmp0 (secret, "kitchen-ota-Zq81!") == 0);
  espy_secret_free (secret);

  /* Nowhere: NULL, and the caller asks. */
  secret = resolve (kitchen, NULL, ESPY_SECRET_KIND_WEB_PASSWORD, &source, &error);
  g_assert_no_error (error);
  g_assert_null (secret);
  g_assert_cmpint (source, ==, ESPY_SECRET_SOURCE_NONE);

  clear_all ("kitchen");
  assert_nothing_logged ();
}

/* In a child process, so the bus address is wrong before libsecret starts. */
static void
test_no_keyring (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      EspySecretSource source = ESPY_SECRET_SOURCE_KEYRING;
      char *secret;

      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/espy-test-bus", TRUE);
      g_assert_false (store ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, "kitchen-ota-Zq81!", &error));
      g_assert_error (error, ESPY_SECRETS_ERROR, ESPY_SECRETS_ERROR_NO_KEYRING);
      g_assert_cmpstr (error->message, ==, "No keyring is available: Espy can't remember the password.");
      g_clear_error (&error);

      secret = lookup ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, &error);
      g_assert_null (secret);
      g_assert_error (error, ESPY_SECRETS_ERROR, ESPY_SECRETS_ERROR_NO_KEYRING);
      g_clear_error (&error);

      /* The install's lookup order just ends with "ask". */
      secret = resolve (NULL, "kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, &source, &error);
      g_assert_no_error (error);
      g_assert_null (secret);
      g_assert_cmpint (source, ==, ESPY_SECRET_SOURCE_NONE);

      assert_nothing_logged ();
      secret_service_disconnect ();
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  for (guint i = 0; i < G_N_ELEMENTS (all_secrets); i++)
    {
      g_autofree char *pattern = g_strdup_printf ("*%s*", all_secrets[i]);

      g_test_trap_assert_stdout_unmatched (pattern);
      g_test_trap_assert_stderr_unmatched (pattern);
    }
}

static void
test_cancelled (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Wait wait = { NULL };

  if (!need_keyring ())
    return;
  g_cancellable_cancel (cancellable);
  espy_secrets_lookup_async ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, cancellable, on_done, &wait);
  g_assert_null (espy_secrets_lookup_finish (wait_result (&wait), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_object_unref (wait.result);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  /* Debug messages too: the check below must see everything. */
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  captured_log = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  g_test_init (&argc, &argv, NULL);
  g_log_set_debug_enabled (TRUE);

  g_test_add_func ("/secrets/nicks-and-labels", test_nicks_and_labels);
  g_test_add_func ("/secrets/from-config", test_from_config);
  g_test_add_func ("/secrets/round-trip", test_round_trip);
  g_test_add_func ("/secrets/devices-separate", test_devices_separate);
  g_test_add_func ("/secrets/kinds-separate", test_kinds_separate);
  g_test_add_func ("/secrets/resolve", test_resolve);
  g_test_add_func ("/secrets/cancelled", test_cancelled);
  g_test_add_func ("/secrets/no-keyring", test_no_keyring);

  ret = g_test_run ();

  assert_nothing_logged ();
  secret_service_disconnect ();
  g_string_free (captured_log, TRUE);
  return ret;
}
