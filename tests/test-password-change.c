/* test-password-change.c: the OTA password flows end to end against
 * simulated devices of each generation and the esphome stand-in: change,
 * add, remove, apply, recover through the web server, shared secrets
 * (ask / own secret / rotate all with one device failing), rollback byte
 * for byte on build and upload failures, and no password in any output.
 *
 * The simulator does not yet read the OTA password of the firmware it
 * receives: the stand-in writes "ESPY-SIM-OTA:password_hex=...;" into the
 * image and, until EspySimDevice honours it, these tests apply it to the
 * simulator themselves when an upload finishes (what the device would do
 * after its reboot).
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <string.h>
#include <glib/gstdio.h>

#include "espy-ota-client.h"
#include "espy-ota-error.h"
#include "espy-password-change.h"
#include "espy-secrets.h"
#include "espy-sim-device.h"
#include "espy-sim-web-server.h"
#include "espy-yaml-editor.h"
#include <json-glib/json-glib.h>

#define NEW_PW  "N3w pass: #1 ü"
#define NEW_PW_DQ "\"N3w pass: #1 ü\""

/* Everything logged while a test runs, to prove no password leaks. */
static GString *captured;

static GLogWriterOutput
capture_writer (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
      g_string_append_printf (captured, "%s\n", (const char *) fields[i].value);
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static void
assert_not_leaked (const char *text,
                   const char *secret)
{
  if (secret != NULL && secret[0] != '\0' && text != NULL)
    g_assert_null (strstr (text, secret));
}

/* --- the ESPY-SIM-OTA marker (applied here until the simulator does it) --- */

static gboolean
parse_ota_marker (GBytes   *image,
                  char    **password,
                  gboolean *none)
{
  static const char key[] = "ESPY-SIM-OTA:";
  gsize len = 0;
  const char *data = image != NULL ? g_bytes_get_data (image, &len) : NULL;
  const char *p = data != NULL ? memmem (data, len, key, sizeof key - 1) : NULL;
  const char *end;
  GString *out;

  *password = NULL;
  *none = FALSE;
  if (p == NULL)
    return FALSE;
  p += sizeof key - 1;
  end = memchr (p, ';', len - (gsize) (p - data));
  if (end == NULL)
    return FALSE;
  if (g_str_has_prefix (p, "password=none;"))
    {
      *none = TRUE;
      return TRUE;
    }
  if (!g_str_has_prefix (p, "password_hex="))
    return FALSE;
  p += strlen ("password_hex=");
  out = g_string_new (NULL);
  for (; p + 1 < end; p += 2)
    {
      int hi = g_ascii_xdigit_value (p[0]);
      int lo = g_ascii_xdigit_value (p[1]);

      g_string_append_c (out, (char) (hi * 16 + lo));
    }
  *password = g_string_free (out, FALSE);
  return TRUE;
}

static void
apply_marker (EspySimDevice *sim,
              GBytes        *image)
{
  g_autofree char *password = NULL;
  gboolean none = FALSE;

  if (parse_ota_marker (image, &password, &none))
    espy_sim_device_set_password (sim, none ? NULL : password);
}

static void
sim_upload_finished_cb (EspySimDevice *sim,
                        gboolean       ok,
                        guint8         code,
                        gpointer       user_data)
{
  if (ok)
    apply_marker (sim, espy_sim_device_get_last_image (sim));
}

static EspySimDevice *
sim_new (const char        *name,
         EspySimGeneration  generation,
         const char        *password)
{
  g_autoptr(GError) error = NULL;
  EspySimDevice *sim = espy_sim_device_new (name);

  espy_sim_device_set_platform (sim, "ESP32");
  espy_sim_device_set_version (sim, "2026.1.2");
  espy_sim_device_set_generation (sim, generation);
  espy_sim_device_set_password (sim, password);
  espy_sim_device_set_boot_ms (sim, 200);
  g_signal_connect (sim, "upload-finished", G_CALLBACK (sim_upload_finished_cb), NULL);
  g_assert_true (espy_sim_device_start (sim, &error));
  g_assert_no_error (error);
  return sim;
}

static void
sim_free (EspySimDevice *sim)
{
  espy_sim_device_stop (sim);
  g_object_unref (sim);
}

/* --- files ------------------------------------------------------------------ */

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* Copies the fixture folder, replacing @PORT@, @PORTn@, @WEBPORT@. Records
 * each file's bytes in SNAPSHOT (relative path -> contents). */
static void
copy_tree (const char *from,
           const char *to,
           const char *rel,
           GHashTable *vars,
           GHashTable *snapshot)
{
  g_autoptr(GDir) dir = g_dir_open (from, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  g_mkdir_with_parents (to, 0755);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *src = g_build_filename (from, name, NULL);
      g_autofree char *dst = g_build_filename (to, name, NULL);
      g_autofree char *sub = rel[0] != '\0' ? g_build_filename (rel, name, NULL) : g_strdup (name);

      if (g_file_test (src, G_FILE_TEST_IS_DIR))
        copy_tree (src, dst, sub, vars, snapshot);
      else
        {
          g_autofree char *text = NULL;
          g_autoptr(GString) out = NULL;
          GHashTableIter iter;
          gpointer key, value;

          g_assert_true (g_file_get_contents (src, &text, NULL, NULL));
          out = g_string_new (text);
          g_hash_table_iter_init (&iter, vars);
          while (g_hash_table_iter_next (&iter, &key, &value))
            g_string_replace (out, key, value, 0);
          g_assert_true (g_file_set_contents (dst, out->str, -1, NULL));
          g_hash_table_insert (snapshot, g_strdup (sub), g_strdup (out->str));
        }
    }
}

typedef struct {
  char       *dir;
  GHashTable *snapshot;   /* relative path -> original text */
} Folder;

static Folder *
folder_new (const char *fixture,
            ...)
{
  Folder *f = g_new0 (Folder, 1);
  g_autofree char *src = g_test_build_filename (G_TEST_DIST, "fixtures", "password", fixture, NULL);
  g_autoptr(GHashTable) vars = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GError) error = NULL;
  va_list ap;
  const char *key;

  va_start (ap, fixture);
  while ((key = va_arg (ap, const char *)) != NULL)
    g_hash_table_insert (vars, g_strdup (key), g_strdup_printf ("%u", va_arg (ap, guint)));
  va_end (ap);
  f->dir = g_dir_make_tmp ("espy-password-XXXXXX", &error);
  g_assert_no_error (error);
  f->snapshot = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  copy_tree (src, f->dir, "", vars, f->snapshot);
  return f;
}

static void
folder_free (Folder *f)
{
  rm_rf (f->dir);
  g_free (f->dir);
  g_hash_table_unref (f->snapshot);
  g_free (f);
}

static char *
folder_read (Folder     *f,
             const char *rel)
{
  g_autofree char *path = g_build_filename (f->dir, rel, NULL);
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

/* Every file is as copied, except REL which must equal the original with
 * FROM replaced by TO once; no backup is left behind. */
static void
assert_files (Folder     *f,
              const char *rel,
              const char *from,
              const char *to)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, f->snapshot);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autofree char *now = folder_read (f, key);

      if (rel != NULL && strcmp (key, rel) == 0)
        {
          g_autoptr(GString) expected = g_string_new (value);

          g_assert_nonnull (strstr (value, from));
          g_assert_cmpuint (g_string_replace (expected, from, to, 1), ==, 1);
          g_assert_cmpstr (now, ==, expected->str);
        }
      else
        g_assert_cmpstr (now, ==, value);
    }
  /* Nothing new in the folder (no backup, no temporary file). */
  {
    g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (dir)) != NULL)
      if (g_str_has_suffix (name, ".espy-backup") || strstr (name, ".tmp") != NULL
          || g_str_has_prefix (name, ".goutputstream"))
        g_error ("left behind: %s", name);
  }
}

static EspyDeviceConfig *
load_config (Folder     *f,
             const char *name)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  EspyDeviceConfig *config = espy_device_config_new_for_file (file, NULL, &error);

  g_assert_no_error (error);
  return config;
}

/* --- running a flow ----------------------------------------------------------- */

typedef struct {
  gboolean  done;
  gboolean  ok;
  GError   *error;
  GString  *progress;
} Wait;

static void
prepare_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Wait *w = user_data;

  w->ok = espy_password_change_prepare_finish (ESPY_PASSWORD_CHANGE (source), result, &w->error);
  w->done = TRUE;
}

static void
run_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  Wait *w = user_data;

  w->ok = espy_password_change_run_finish (ESPY_PASSWORD_CHANGE (source), result, &w->error);
  w->done = TRUE;
}

static void
progress_cb (EspyPasswordChange *change,
             guint               index,
             int                 step,
             const char         *text,
             Wait               *w)
{
  g_string_append_printf (w->progress, "%u:%s:%s\n", index, espy_password_step_to_nick (step), text);
}

static void
wait_done (Wait *w)
{
  while (!w->done)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
prepare (EspyPasswordChange  *change,
         GError             **error)
{
  Wait w = { 0 };

  espy_password_change_prepare_async (change, NULL, prepare_cb, &w);
  wait_done (&w);
  if (w.error != NULL)
    g_propagate_error (error, w.error);
  return w.ok;
}

/* Prepares and runs; returns the run's result. PROGRESS gets every line. */
static gboolean
run_flow (EspyPasswordChange  *change,
          GString             *progress,
          GError             **error)
{
  Wait w = { 0 };

  w.progress = progress;
  if (!prepare (change, error))
    return FALSE;
  g_signal_connect (change, "progress", G_CALLBACK (progress_cb), &w);
  espy_password_change_set_use_keyring (change, g_getenv ("DBUS_SESSION_BUS_ADDRESS") != NULL);
  espy_password_change_run_async (change, NULL, run_cb, &w);
  wait_done (&w);
  g_signal_handlers_disconnect_by_data (change, &w);
  if (w.error != NULL)
    {
      g_string_append_printf (captured, "%s\n", w.error->message);
      g_propagate_error (error, w.error);
    }
  return w.ok;
}

typedef struct {
  gboolean  done;
  gboolean  ok;
  GError   *error;
} Check;

static void
check_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Check *c = user_data;

  c->ok = espy_ota_client_check_finish (ESPY_OTA_CLIENT (source), result, &c->error);
  c->done = TRUE;
}

/* An independent check, as a third party would do it. */
static gboolean
device_accepts (EspySimDevice *sim,
                const char    *password,
                GError       **error)
{
  g_autoptr(EspyOtaClient) client = espy_ota_client_new ("127.0.0.1", espy_sim_device_get_ota_port (sim));
  Check c = { 0 };

  espy_ota_client_set_password (client, password);
  espy_ota_client_set_retries (client, 0, 0);
  espy_ota_client_check_async (client, NULL, check_cb, &c);
  while (!c.done)
    g_main_context_iteration (NULL, TRUE);
  if (c.error != NULL)
    g_propagate_error (error, c.error);
  return c.ok;
}

static void
assert_device_password (EspySimDevice *sim,
                        const char    *accepted,
                        const char    *refused)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (device_accepts (sim, accepted, &error));
  g_assert_no_error (error);
  if (refused != NULL || accepted != NULL)
    {
      g_assert_false (device_accepts (sim, refused, &error));
      g_assert_true (error->domain == ESPY_OTA_ERROR && espy_ota_error_is_auth (error->code));
    }
}

static void
setup_env (void)
{
  g_setenv ("ESPHOME_STANDIN_SIZE", "65536", TRUE);
  g_unsetenv ("ESPHOME_STANDIN_FAIL");
  if (captured == NULL)
    {
      captured = g_string_new (NULL);
      g_log_set_writer_func (capture_writer, NULL, NULL);
    }
}

/* --- the flows ----------------------------------------------------------------- */

typedef struct {
  const char        *fixture;
  const char        *file;      /* the file that changes */
  const char        *from;
  const char        *to;
  const char        *old_pw;
  EspySimGeneration  generation;
  EspyPasswordFlow   flow;
  const char        *new_pw;
} FlowCase;

static void
test_flow (gconstpointer data)
{
  const FlowCase *c = data;
  g_autoptr(EspySimDevice) sim = NULL;
  g_autoptr(EspyDeviceConfig) config = NULL;
  g_autoptr(EspyPasswordChange) change = NULL;
  g_autoptr(GString) progress = g_string_new (NULL);
  gboolean ok;
  g_autoptr(GError) error = NULL;
  g_autofree char *diff = NULL;
  Folder *f;
  gboolean new_accepted = FALSE;
  gboolean old_refused = FALSE;

  setup_env ();
  sim = sim_new ("kitchen", c->generation, c->old_pw);
  f = folder_new (c->fixture, "@PORT@", (guint) espy_sim_device_get_ota_port (sim), NULL);
  config = load_config (f, "kitchen.yaml");
  change = espy_password_change_new (config, c->flow);
  espy_password_change_set_new_password (change, c->new_pw);
  espy_password_change_set_reboot_timeout (change, 15000);

  ok = prepare (change, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  diff = espy_password_change_get_diff (change, TRUE);
  g_string_append (captured, diff);
  g_assert_nonnull (strstr (diff, "+++ "));
  g_assert_null (strstr (diff, "\n+\n"));

  ok = run_flow (change, progress, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_test_message ("%s", progress->str);
  g_assert_nonnull (strstr (progress->str, "0:build:"));
  g_assert_nonnull (strstr (progress->str, "0:verify:"));
  g_assert_nonnull (strstr (progress->str, "0:done:"));
  g_assert_cmpint (espy_password_change_get_device_expects (change, 0), ==, ESPY_PASSWORD_EXPECTS_NEW);
  g_assert_true (espy_password_change_get_device_verified (change, 0, &new_accepted, &old_refused));
  g_assert_true (new_accepted);
  g_assert_true (old_refused || c->flow == ESPY_PASSWORD_FLOW_REMOVE);
  g_assert_cmpuint (espy_sim_device_get_upload_count (sim), ==, 1);

  /* A third party sees the same. */
  if (c->flow == ESPY_PASSWORD_FLOW_REMOVE)
    assert_device_password (sim, NULL, NULL);
  else
    assert_device_password (sim, c->new_pw, c->old_pw);
  assert_files (f, c->file, c->from, c->to);
  g_string_append (captured, progress->str);
  assert_not_leaked (captured->str, c->new_pw);
  assert_not_leaked (captured->str, c->old_pw);

  g_signal_handlers_disconnect_by_func (sim, sim_upload_finished_cb, NULL);
  espy_sim_device_stop (sim);
  folder_free (f);
}

static const FlowCase flow_cases[] = {
  { "inline", "kitchen.yaml", "\"old-inline-pw\"", NEW_PW_DQ, "old-inline-pw", ESPY_SIM_GENERATION_2024_2,
    ESPY_PASSWORD_FLOW_CHANGE, NEW_PW },
  { "inline", "kitchen.yaml", "\"old-inline-pw\"", NEW_PW_DQ, "old-inline-pw", ESPY_SIM_GENERATION_2025_10,
    ESPY_PASSWORD_FLOW_CHANGE, NEW_PW },
  { "inline", "kitchen.yaml", "\"old-inline-pw\"", NEW_PW_DQ, "old-inline-pw", ESPY_SIM_GENERATION_2026_1,
    ESPY_PASSWORD_FLOW_CHANGE, NEW_PW },
  { "secret", "secrets.yaml", "ota_password: old-secret-pw", "ota_password: " NEW_PW_DQ, "old-secret-pw",
    ESPY_SIM_GENERATION_2026_1, ESPY_PASSWORD_FLOW_CHANGE, NEW_PW },
  { "legacy", "kitchen.yaml", "'old-legacy'", "'it''s-new'", "old-legacy", ESPY_SIM_GENERATION_2024_2,
    ESPY_PASSWORD_FLOW_CHANGE, "it's-new" },
  { "include", "common/ota.yaml", "password: old-include-pw", "password: plainnew", "old-include-pw",
    ESPY_SIM_GENERATION_2025_10, ESPY_PASSWORD_FLOW_CHANGE, "plainnew" },
  { "packages", "common/base.yaml", "\"old-package-pw\"", "\"back\\\\slash \\\"q\\\"\"", "old-package-pw",
    ESPY_SIM_GENERATION_2026_1, ESPY_PASSWORD_FLOW_CHANGE, "back\\slash \"q\"" },
  /* Number-like, so it must be quoted; long enough that no temp dir name,
   * port or PID in the captured log can contain it by chance. */
  { "substitution", "kitchen.yaml", "ota_pw: old-subst-pw", "ota_pw: \"4817263509\"", "old-subst-pw",
    ESPY_SIM_GENERATION_2025_10, ESPY_PASSWORD_FLOW_CHANGE, "4817263509" },
  { "none", "kitchen.yaml", "  - platform: esphome # no password yet\n",
    "  - platform: esphome # no password yet\n    password: " NEW_PW_DQ "\n", NULL,
    ESPY_SIM_GENERATION_2024_2, ESPY_PASSWORD_FLOW_ADD, NEW_PW },
  { "none", "kitchen.yaml", "  - platform: esphome # no password yet\n",
    "  - platform: esphome # no password yet\n    password: " NEW_PW_DQ "\n", NULL,
    ESPY_SIM_GENERATION_2026_1, ESPY_PASSWORD_FLOW_ADD, NEW_PW },
  { "inline", "kitchen.yaml", "    password: \"old-inline-pw\"  # set in 2024\n", "", "old-inline-pw",
    ESPY_SIM_GENERATION_2025_10, ESPY_PASSWORD_FLOW_REMOVE, NULL },
  { "secret", "kitchen.yaml", "    password: !secret ota_password\n", "", "old-secret-pw",
    ESPY_SIM_GENERATION_2024_2, ESPY_PASSWORD_FLOW_REMOVE, NULL },
};

/* "The device rejects the password in my YAML": it has another one. */
static void
test_apply (void)
{
  g_autoptr(EspySimDevice) sim = NULL;
  g_autoptr(EspyDeviceConfig) config = NULL;
  g_autoptr(EspyPasswordChange) change = NULL;
  g_autoptr(GString) progress = g_string_new (NULL);
  gboolean ok;
  g_autoptr(GError) error = NULL;
  Folder *f;

  setup_env ();
  sim = sim_new ("kitchen", ESPY_SIM_GENERATION_2025_10, "what-the-device-has");
  f = folder_new ("inline", "@PORT@", (guint) espy_sim_device_get_ota_port (sim), NULL);
  config = load_config (f, "kitchen.yaml");
  g_assert_false (device_accepts (sim, "old-inline-pw", &error));
  g_clear_error (&error);

  /* Without the device's password: refused before anything. */
  change = espy_password_change_new (config, ESPY_PASSWORD_FLOW_APPLY);
  g_assert_false (prepare (change, &error));
  g_assert_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_INVALID);
  g_clear_error (&error);

  espy_password_change_set_current_password (change, "what-the-device-has");
  espy_password_change_set_reboot_timeout (change, 15000);
  ok = run_flow (change, progress, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  assert_device_password (sim, "old-inline-pw", "what-the-device-has");
  assert_files (f, NULL, NULL, NULL);
  assert_not_leaked (captured->str, "what-the-device-has");
  g_signal_handlers_disconnect_by_func (sim, sim_upload_finished_cb, NULL);
  folder_free (f);
}

/* --- refusals and rollback ---------------------------------------------------------- */

static void
test_wrong_current (void)
{
  g_autoptr(EspySimDevice) sim = NULL;
  g_autoptr(EspyDeviceConfig) config = NULL;
  g_autoptr(EspyPasswordChange) change = NULL;
  g_autoptr(GString) progress = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  Folder *f;

  setup_env ();
  sim = sim_new ("kitchen", ESPY_SIM_GENERATION_2026_1, "something-else");
  f = folder_new ("secret", "@PORT@", (guint) espy_sim_device_get_ota_port (sim), NULL);
  config = load_config (f, "kitchen.yaml");
  change = espy_password_change_new (config, ESPY_PASSWORD_FLOW_CHANGE);
  espy_password_change_set_new_password (change, NEW_PW);
  g_assert_false (run_flow (change, progress, &error));
  g_assert_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_CURRENT_REJECTED);
  g_assert_null (strstr (progress->str, ":build:"));
  g_assert_cmpuint (espy_sim_device_get_upload_count (sim), ==, 0);
  g_assert_cmpint (espy_password_change_get_device_expects (change, 0), ==, ESPY_PASSWORD_EXPECTS_OLD);
  assert_files (f, NULL, NULL, NULL);
  folder_free (f);
}

static void
test_refusals (void)
{
  struct { const char *fixture; EspyPasswordFlow flow; const char *new_pw; GQuark domain; int code; } cases[] = {
    { "remote", ESPY_PASSWORD_FLOW_CHANGE, "x", ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_NOT_EDITABLE },
    { "noweb", ESPY_PASSWORD_FLOW_RECOVER, "x", ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_SERIAL_ONLY },
    { "inline", ESPY_PASSWORD_FLOW_ADD, "x", ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_HAS_PASSWORD },
    { "none", ESPY_PASSWORD_FLOW_CHANGE, "x", ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_INVALID },
    { "none", ESPY_PASSWORD_FLOW_REMOVE, NULL, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_INVALID },
    { "inline", ESPY_PASSWORD_FLOW_CHANGE, "", ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_INVALID },
    { "inline", ESPY_PASSWORD_FLOW_CHANGE, "old-inline-pw", ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_INVALID },
    { "inline", ESPY_PASSWORD_FLOW_CHANGE, "\xff", ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_INVALID },
    /* ESPHome would substitute it: the device would get another password. */
    { "inline", ESPY_PASSWORD_FLOW_CHANGE, "pa${ss}", ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_INVALID },
    { "none", ESPY_PASSWORD_FLOW_ADD, "a$b", ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_INVALID },
  };

  setup_env ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Folder *f = folder_new (cases[i].fixture, "@PORT@", 1u, "@WEBPORT@", 2u, NULL);
      g_autoptr(EspyDeviceConfig) config = load_config (f, "kitchen.yaml");
      g_autoptr(EspyPasswordChange) change = espy_password_change_new (config, cases[i].flow);
      g_autoptr(GError) error = NULL;

      espy_password_change_set_new_password (change, cases[i].new_pw);
      g_assert_false (prepare (change, &error));
      g_test_message ("%s: %s", cases[i].fixture, error->message);
      g_assert_error (error, cases[i].domain, cases[i].code);
      assert_files (f, NULL, NULL, NULL);
      folder_free (f);
    }
}

static void
test_rollback (gconstpointer data)
{
  gboolean upload_fails = GPOINTER_TO_INT (data);
  g_autoptr(EspySimDevice) sim = NULL;
  g_autoptr(EspyDeviceConfig) config = NULL;
  g_autoptr(EspyPasswordChange) change = NULL;
  g_autoptr(GString) progress = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  Folder *f;

  setup_env ();
  sim = sim_new ("kitchen", ESPY_SIM_GENERATION_2025_10, "old-secret-pw");
  if (upload_fails)
    espy_sim_device_add_fault (sim, ESPY_SIM_STEP_PREPARE, ESPY_SIM_FAULT_ERROR, 0x89);
  else
    g_setenv ("ESPHOME_STANDIN_FAIL", "compile", TRUE);
  f = folder_new ("secret", "@PORT@", (guint) espy_sim_device_get_ota_port (sim), NULL);
  config = load_config (f, "kitchen.yaml");
  change = espy_password_change_new (config, ESPY_PASSWORD_FLOW_CHANGE);
  espy_password_change_set_new_password (change, NEW_PW);
  g_assert_false (run_flow (change, progress, &error));
  g_unsetenv ("ESPHOME_STANDIN_FAIL");
  g_test_message ("%s", error->message);
  g_assert_true (espy_password_change_get_rolled_back (change));
  g_assert_cmpint (espy_password_change_get_device_expects (change, 0), ==, ESPY_PASSWORD_EXPECTS_OLD);
  g_assert_cmpint (espy_password_change_get_device_failed_step (change, 0), ==,
                   upload_fails ? ESPY_PASSWORD_STEP_UPLOAD : ESPY_PASSWORD_STEP_BUILD);
  /* Every file byte for byte, the device untouched. */
  assert_files (f, NULL, NULL, NULL);
  assert_device_password (sim, "old-secret-pw", NEW_PW);
  assert_not_leaked (captured->str, NEW_PW);
  assert_not_leaked (captured->str, "old-secret-pw");
  g_signal_handlers_disconnect_by_func (sim, sim_upload_finished_cb, NULL);
  folder_free (f);
}

/* --- shared secrets ------------------------------------------------------------- */

typedef struct {
  EspySimDevice *sims[5];
  Folder        *f;
} Fleet;

static void
fleet_init (Fleet *fleet)
{
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("dev%u", i + 1);

      fleet->sims[i] = sim_new (name, (EspySimGeneration) (i % 3), "old-fleet-pw");
    }
  fleet->f = folder_new ("shared",
                         "@PORT1@", (guint) espy_sim_device_get_ota_port (fleet->sims[0]),
                         "@PORT2@", (guint) espy_sim_device_get_ota_port (fleet->sims[1]),
                         "@PORT3@", (guint) espy_sim_device_get_ota_port (fleet->sims[2]),
                         "@PORT4@", (guint) espy_sim_device_get_ota_port (fleet->sims[3]),
                         "@PORT5@", (guint) espy_sim_device_get_ota_port (fleet->sims[4]), NULL);
}

static void
fleet_clear (Fleet *fleet)
{
  for (guint i = 0; i < 5; i++)
    {
      g_signal_handlers_disconnect_by_func (fleet->sims[i], sim_upload_finished_cb, NULL);
      sim_free (fleet->sims[i]);
    }
  folder_free (fleet->f);
}

static void
test_shared_ask_and_own (void)
{
  Fleet fleet;
  g_autoptr(EspyDeviceConfig) config = NULL;
  g_autoptr(EspyPasswordChange) change = NULL;
  g_autoptr(GString) progress = g_string_new (NULL);
  gboolean ok;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) shared = NULL;
  g_autofree char *dev1 = NULL;
  g_autofree char *secrets = NULL;

  setup_env ();
  fleet_init (&fleet);
  config = load_config (fleet.f, "dev1.yaml");
  change = espy_password_change_new (config, ESPY_PASSWORD_FLOW_CHANGE);
  espy_password_change_set_new_password (change, NEW_PW);
  g_assert_false (run_flow (change, progress, &error));
  g_assert_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_SHARED);
  shared = espy_password_change_get_shared_devices (change);
  g_assert_cmpuint (g_strv_length (shared), ==, 4);
  for (guint i = 2; i <= 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("dev%u", i);

      g_assert_true (g_strv_contains ((const char * const *) shared, name));
    }
  assert_files (fleet.f, NULL, NULL, NULL);
  g_clear_error (&error);

  espy_password_change_set_shared (change, ESPY_PASSWORD_SHARED_OWN_SECRET);
  espy_password_change_set_reboot_timeout (change, 15000);
  ok = run_flow (change, progress, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpuint (espy_password_change_get_n_devices (change), ==, 1);
  assert_device_password (fleet.sims[0], NEW_PW, "old-fleet-pw");
  for (guint i = 1; i < 5; i++)
    assert_device_password (fleet.sims[i], "old-fleet-pw", NEW_PW);
  dev1 = folder_read (fleet.f, "dev1.yaml");
  g_assert_nonnull (strstr (dev1, "password: !secret fleet_ota_dev1\n"));
  secrets = folder_read (fleet.f, "secrets.yaml");
  g_assert_cmpstr (secrets, ==, "fleet_ota: \"old-fleet-pw\"\nfleet_ota_dev1: " NEW_PW_DQ "\n");
  fleet_clear (&fleet);
}

static void
test_shared_rotate_all (void)
{
  Fleet fleet;
  g_autoptr(EspyDeviceConfig) config = NULL;
  g_autoptr(EspyPasswordChange) change = NULL;
  g_autoptr(GString) progress = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *current = NULL;
  g_autofree char *new_pw = NULL;

  setup_env ();
  fleet_init (&fleet);
  /* dev3 refuses the image: it must end "still the old password". */
  espy_sim_device_add_fault (fleet.sims[2], ESPY_SIM_STEP_PREPARE, ESPY_SIM_FAULT_ERROR, 0x89);
  config = load_config (fleet.f, "dev1.yaml");
  change = espy_password_change_new (config, ESPY_PASSWORD_FLOW_CHANGE);
  espy_password_change_set_new_password (change, NEW_PW);
  espy_password_change_set_shared (change, ESPY_PASSWORD_SHARED_ROTATE_ALL);
  espy_password_change_set_reboot_timeout (change, 15000);
  g_assert_false (run_flow (change, progress, &error));
  g_test_message ("%s\n%s", progress->str, error->message);
  g_assert_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_PARTIAL);
  g_assert_cmpuint (espy_password_change_get_n_devices (change), ==, 5);
  for (guint i = 0; i < 5; i++)
    {
      const char *name = espy_password_change_get_device_name (change, i);
      EspyPasswordExpects expects = espy_password_change_get_device_expects (change, i);
      guint n = (guint) (name[3] - '1');

      /* None left unknown. */
      g_assert_cmpint (expects, !=, ESPY_PASSWORD_EXPECTS_UNKNOWN);
      if (n == 2)
        {
          g_assert_cmpint (expects, ==, ESPY_PASSWORD_EXPECTS_OLD);
          g_assert_nonnull (espy_password_change_get_device_error (change, i));
          assert_device_password (fleet.sims[n], "old-fleet-pw", NEW_PW);
        }
      else
        {
          g_assert_cmpint (expects, ==, ESPY_PASSWORD_EXPECTS_NEW);
          g_assert_null (espy_password_change_get_device_error (change, i));
          assert_device_password (fleet.sims[n], NEW_PW, "old-fleet-pw");
        }
    }
  g_assert_false (espy_password_change_get_rolled_back (change));
  assert_files (fleet.f, "secrets.yaml", "\"old-fleet-pw\"", NEW_PW_DQ);
  espy_password_change_dup_passwords (change, &current, &new_pw);
  g_assert_cmpstr (current, ==, "old-fleet-pw");
  g_assert_cmpstr (new_pw, ==, NEW_PW);
  assert_not_leaked (captured->str, NEW_PW);
  assert_not_leaked (captured->str, "old-fleet-pw");
  assert_not_leaked (progress->str, NEW_PW);
  fleet_clear (&fleet);
}

/* --- recover through the web server -------------------------------------------- */

static void
web_upload_cb (EspySimWebServer *server,
               gboolean          ok,
               GBytes           *image,
               gpointer          user_data)
{
  /* The device boots the new firmware: its OTA password is the image's. */
  if (ok)
    apply_marker (ESPY_SIM_DEVICE (user_data), image);
}

static void
test_recover (void)
{
  g_autoptr(EspySimDevice) sim = NULL;
  g_autoptr(EspySimWebServer) web = NULL;
  g_autoptr(EspyDeviceConfig) config = NULL;
  g_autoptr(EspyPasswordChange) change = NULL;
  g_autoptr(GString) progress = g_string_new (NULL);
  gboolean ok;
  g_autoptr(GError) error = NULL;
  Folder *f;

  setup_env ();
  sim = sim_new ("kitchen", ESPY_SIM_GENERATION_2026_1, "nobody-knows-this");
  web = espy_sim_web_server_new (ESPY_SIM_WEB_FLAVOUR_ESP_IDF);
  espy_sim_web_server_set_platform (web, "ESP32");
  espy_sim_web_server_set_auth (web, "admin", "web-secret");
  espy_sim_web_server_set_upload_func (web, web_upload_cb, g_object_ref (sim), g_object_unref);
  g_assert_true (espy_sim_web_server_start (web, &error));
  g_assert_no_error (error);
  f = folder_new ("recover", "@PORT@", (guint) espy_sim_device_get_ota_port (sim),
                  "@WEBPORT@", (guint) espy_sim_web_server_get_port (web), NULL);
  config = load_config (f, "kitchen.yaml");
  change = espy_password_change_new (config, ESPY_PASSWORD_FLOW_RECOVER);
  espy_password_change_set_new_password (change, NEW_PW);
  espy_password_change_set_reboot_timeout (change, 15000);
  ok = run_flow (change, progress, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpuint (espy_sim_web_server_get_upload_count (web), ==, 1);
  g_assert_cmpuint (espy_sim_device_get_upload_count (sim), ==, 0);
  assert_device_password (sim, NEW_PW, "nobody-knows-this");
  assert_files (f, "kitchen.yaml", "\"forgotten-pw\"", NEW_PW_DQ);
  assert_not_leaked (captured->str, NEW_PW);
  assert_not_leaked (captured->str, "web-secret");
  espy_sim_web_server_stop (web);
  g_signal_handlers_disconnect_by_func (sim, sim_upload_finished_cb, NULL);
  folder_free (f);
}

/* --- keyring, generator -------------------------------------------------------- */

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  char **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = espy_secrets_lookup_finish (result, &error);
  if (*out == NULL)
    *out = g_strdup (error != NULL ? "(error)" : "(none)");
}

static void
test_keyring (void)
{
  g_autoptr(EspySimDevice) sim = NULL;
  g_autoptr(EspyDeviceConfig) config = NULL;
  g_autoptr(EspyPasswordChange) change = NULL;
  g_autoptr(GString) progress = g_string_new (NULL);
  gboolean ok;
  g_autoptr(GError) error = NULL;
  char *stored = NULL;
  Folder *f;

  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      g_test_skip ("no session bus (run inside tests/test-env.sh)");
      return;
    }
  setup_env ();
  sim = sim_new ("kitchen", ESPY_SIM_GENERATION_2026_1, "old-inline-pw");
  f = folder_new ("inline", "@PORT@", (guint) espy_sim_device_get_ota_port (sim), NULL);
  config = load_config (f, "kitchen.yaml");
  change = espy_password_change_new (config, ESPY_PASSWORD_FLOW_CHANGE);
  espy_password_change_set_new_password (change, "keyring-new-pw");
  espy_password_change_set_reboot_timeout (change, 15000);
  ok = run_flow (change, progress, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  if (espy_password_change_get_keyring_error (change) != NULL)
    {
      g_test_skip (espy_password_change_get_keyring_error (change)->message);
    }
  else
    {
      g_assert_nonnull (strstr (progress->str, "0:store:"));
      espy_secrets_lookup_async ("kitchen", ESPY_SECRET_KIND_OTA_PASSWORD, NULL, lookup_cb, &stored);
      while (stored == NULL)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpstr (stored, ==, "keyring-new-pw");
      g_free (stored);
    }
  g_signal_handlers_disconnect_by_func (sim, sim_upload_finished_cb, NULL);
  folder_free (f);
}

static void
test_generate (void)
{
  g_autofree char *a = espy_password_generate ();
  g_autofree char *b = espy_password_generate ();
  g_autofree char *quoted = espy_yaml_quote_scalar (a, ESPY_YAML_STYLE_PLAIN);

  g_assert_cmpuint (strlen (a), ==, 24);
  /* Letters and digits: never needs more than plain or double quotes. */
  g_assert_true (quoted[0] == '"' || strcmp (quoted, a) == 0);
  g_assert_cmpstr (a, !=, b);
  for (const char *p = a; *p != '\0'; p++)
    g_assert_true (g_ascii_isalnum (*p));
  g_assert_cmpuint (espy_password_strength (a), ==, 4);
  g_assert_cmpuint (espy_password_strength (""), ==, 0);
  g_assert_cmpuint (espy_password_strength ("abc"), ==, 1);
  g_assert_cmpuint (espy_password_strength ("abcdefgh"), ==, 2);
  g_assert_cmpuint (espy_password_strength ("abcdefgh12"), <, espy_password_strength ("abcDEF12!?xyz"));
}

/* --- the CLI ------------------------------------------------------------------- */

typedef struct {
  gboolean  done;
  char     *out;
  char     *err;
  int       status;
} Proc;

static void
communicate_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Proc *p = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &p->out, &p->err, &error);
  g_assert_no_error (error);
  p->status = g_subprocess_get_exit_status (G_SUBPROCESS (source));
  p->done = TRUE;
}

/* Runs espy-cli while this process keeps serving the simulators. */
static void
run_cli (Proc                *p,
         const char * const  *env,
         const char * const  *argv)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                                                       | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; env[i] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);
  proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, communicate_cb, p);
  while (!p->done)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_cli (void)
{
  const char *cli = g_getenv ("ESPY_CLI");
  g_autoptr(EspySimDevice) sim = NULL;
  g_autofree char *config = NULL;
  g_autofree char *new_file = NULL;
  Folder *f;

  if (cli == NULL)
    {
      g_test_skip ("ESPY_CLI is not set (run through meson test)");
      return;
    }
  setup_env ();
  sim = sim_new ("kitchen", ESPY_SIM_GENERATION_2025_10, "old-secret-pw");
  f = folder_new ("secret", "@PORT@", (guint) espy_sim_device_get_ota_port (sim), NULL);
  config = g_build_filename (f->dir, "kitchen.yaml", NULL);
  new_file = g_build_filename (f->dir, ".new-pw", NULL);
  g_assert_true (g_file_set_contents (new_file, NEW_PW "\n", -1, NULL));
  g_hash_table_insert (f->snapshot, g_strdup (".new-pw"), g_strdup (NEW_PW "\n"));

  /* A password on the command line is refused before anything. */
  {
    Proc p = { 0 };
    const char *env[] = { NULL };
    const char *argv[] = { cli, "password", "change", config, "--password=x", NULL };

    run_cli (&p, env, argv);
    g_assert_cmpint (p.status, ==, 2);
    g_free (p.out);
    g_free (p.err);
  }
  /* A wrong current password: exit 5, nothing changed, nothing printed. */
  {
    Proc p = { 0 };
    const char *env[] = { "ESPY_PASSWORD", "not-it", "ESPY_NEW_PASSWORD", NEW_PW, NULL };
    const char *argv[] = { cli, "password", "change", config, "--no-keyring", NULL };

    run_cli (&p, env, argv);
    g_test_message ("%s%s", p.out, p.err);
    g_assert_cmpint (p.status, ==, 5);
    g_assert_true (g_str_has_prefix (p.err, "espy-cli: "));
    assert_not_leaked (p.out, NEW_PW);
    assert_not_leaked (p.err, NEW_PW);
    assert_not_leaked (p.err, "not-it");
    assert_files (f, NULL, NULL, NULL);
    g_free (p.out);
    g_free (p.err);
  }
  /* The change, with JSON. */
  {
    Proc p = { 0 };
    const char *env[] = { NULL };
    const char *argv[] = { cli, "password", "change", config, "--new-password-file", new_file, "--json",
                           "--no-keyring", NULL };
    g_auto(GStrv) lines = NULL;
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonObject *result;
    JsonObject *device;

    /* No current password given: the YAML's is used. */
    run_cli (&p, env, argv);
    g_test_message ("%s%s", p.out, p.err);
    g_assert_cmpint (p.status, ==, 0);
    lines = g_strsplit (g_strstrip (p.out), "\n", -1);
    g_assert_true (json_parser_load_from_data (parser, lines[0], -1, NULL));
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)), "event"),
                     ==, "plan");
    g_assert_true (json_parser_load_from_data (parser, lines[g_strv_length (lines) - 1], -1, NULL));
    result = json_node_get_object (json_parser_get_root (parser));
    g_assert_cmpstr (json_object_get_string_member (result, "event"), ==, "result");
    g_assert_true (json_object_get_boolean_member (result, "ok"));
    device = json_array_get_object_element (json_object_get_array_member (result, "devices"), 0);
    g_assert_cmpstr (json_object_get_string_member (device, "expects"), ==, "new");
    g_assert_true (json_object_get_boolean_member (device, "new_accepted"));
    g_assert_true (json_object_get_boolean_member (device, "old_refused"));
    assert_not_leaked (p.out, NEW_PW);
    assert_not_leaked (p.err, NEW_PW);
    assert_not_leaked (p.out, "old-secret-pw");
    assert_not_leaked (p.err, "old-secret-pw");
    assert_device_password (sim, NEW_PW, "old-secret-pw");
    assert_files (f, "secrets.yaml", "ota_password: old-secret-pw", "ota_password: " NEW_PW_DQ);
    g_free (p.out);
    g_free (p.err);
  }
  g_signal_handlers_disconnect_by_func (sim, sim_upload_finished_cb, NULL);
  folder_free (f);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (flow_cases); i++)
    {
      const char *gens[] = { "2024.2", "2025.10", "2026.1" };
      g_autofree char *path = g_strdup_printf ("/password/%s/%s/%s",
                                               espy_password_flow_to_nick (flow_cases[i].flow),
                                               flow_cases[i].fixture, gens[flow_cases[i].generation]);

      g_test_add_data_func (path, &flow_cases[i], test_flow);
    }
  g_test_add_func ("/password/apply/yaml-rejected", test_apply);
  g_test_add_func ("/password/refusals/wrong-current", test_wrong_current);
  g_test_add_func ("/password/refusals/layouts", test_refusals);
  g_test_add_data_func ("/password/rollback/build-failure", GINT_TO_POINTER (FALSE), test_rollback);
  g_test_add_data_func ("/password/rollback/upload-failure", GINT_TO_POINTER (TRUE), test_rollback);
  g_test_add_func ("/password/shared/ask-and-own-secret", test_shared_ask_and_own);
  g_test_add_func ("/password/shared/rotate-all-one-failing", test_shared_rotate_all);
  g_test_add_func ("/password/recover/web-server", test_recover);
  g_test_add_func ("/password/keyring", test_keyring);
  g_test_add_func ("/password/generate", test_generate);
  g_test_add_func ("/password/cli", test_cli);
  return g_test_run ();
}
