/* test-history.c: the install history file: restart, bounds, queries,
 * corruption, atomic writes, and no secret ever written.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "espy-history.h"
#include "espy-report.h"

/* Structured logging bypasses g_test_expect_message() in GLib 2.74: catch
 * the history's warnings with a writer of our own. */
static GString *caught_warnings;

static GLogWriterOutput
writer (GLogLevelFlags   log_level,
        const GLogField *fields,
        gsize            n_fields,
        gpointer         user_data)
{
  if (caught_warnings != NULL && (log_level & G_LOG_LEVEL_WARNING))
    {
      for (gsize i = 0; i < n_fields; i++)
        if (g_str_equal (fields[i].key, "MESSAGE"))
          g_string_append_printf (caught_warnings, "%s\n", (const char *) fields[i].value);
      return G_LOG_WRITER_HANDLED;
    }
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static void
expect_warnings (void)
{
  caught_warnings = g_string_new (NULL);
}

static char *
caught (void)
{
  return g_string_free (g_steal_pointer (&caught_warnings), FALSE);
}

static EspyInstallAttempt *
make_attempt (const char *device,
              gint64      started,
              gboolean    failed)
{
  EspyInstallAttempt *a = espy_install_attempt_new ();

  espy_install_attempt_set_string (a, &a->device_name, device);
  espy_install_attempt_set_string (a, &a->result, failed ? "failed" : "succeeded");
  a->started = started;
  a->finished = started + 5 * G_USEC_PER_SEC;
  espy_install_attempt_enter_stage (a, "connecting", started);
  espy_install_attempt_enter_stage (a, "uploading", started + G_USEC_PER_SEC);
  espy_install_attempt_add_sample (a, 250, 8192, 8192);
  espy_install_attempt_add_sample (a, 500, 16384, 16384);
  espy_install_attempt_enter_stage (a, NULL, a->finished);
  if (failed)
    {
      espy_install_attempt_set_string (a, &a->failed_state, "uploading");
      espy_install_attempt_set_string (a, &a->error_domain, "ota");
      espy_install_attempt_set_string (a, &a->error_code, "write-failed");
      a->device_code = 0x83;
    }
  return a;
}

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  return text;
}

static void
test_default_path (void)
{
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "espy", "history.json", NULL);
  g_autoptr(EspyHistory) h = espy_history_new (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (espy_history_get_path (h), ==, expected);
  /* No file yet: an empty history, no warning. */
  g_assert_true (espy_history_load (h, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (espy_history_get_n_attempts (h), ==, 0);
  g_assert_null (espy_history_get_load_warning (h));
}

static void
test_restart_and_queries (void)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "espy", "history.json", NULL);
  g_autoptr(GError) error = NULL;
  gint64 t0 = 1767000000LL * G_USEC_PER_SEC;
  const char *logs[] = { "[I][ota:100]: Starting update", "[E][ota:200]: Write failed", NULL };

  {
    g_autoptr(EspyHistory) h = espy_history_new (NULL);

    g_assert_true (espy_history_load (h, &error));
    for (int i = 0; i < 6; i++)
      {
        g_autoptr(EspyInstallAttempt) a = make_attempt (i % 2 ? "kitchen" : "garage", t0 + i * G_USEC_PER_SEC,
                                                        i % 3 == 0);

        espy_history_add (h, a, i == 3 ? logs : NULL);
      }
    g_assert_true (espy_history_save (h, &error));
    g_assert_no_error (error);
  }

  /* "After a restart": a new object reads the file. */
  {
    g_autoptr(EspyHistory) h = espy_history_new (path);
    g_autoptr(GPtrArray) all = NULL, kitchen = NULL, problems = NULL;
    g_autoptr(EspyInstallAttempt) last = NULL, last_failed = NULL;
    const EspyInstallAttempt *a;
    const char * const *lines;

    g_assert_true (espy_history_load (h, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (espy_history_get_n_attempts (h), ==, 6);

    all = espy_history_list (h, NULL, 0);
    g_assert_cmpuint (all->len, ==, 6);
    for (guint i = 1; i < all->len; i++)
      g_assert_cmpint (((EspyInstallAttempt *) all->pdata[i - 1])->started, >,
                       ((EspyInstallAttempt *) all->pdata[i])->started);

    kitchen = espy_history_list (h, "KITCHEN", 0);
    g_assert_cmpuint (kitchen->len, ==, 3);
    for (guint i = 0; i < kitchen->len; i++)
      g_assert_cmpstr (((EspyInstallAttempt *) kitchen->pdata[i])->device_name, ==, "kitchen");

    /* failed: i = 0 (garage), 3 (kitchen) */
    problems = espy_history_list_problems (h, NULL, 0);
    g_assert_cmpuint (problems->len, ==, 2);
    a = problems->pdata[0];
    g_assert_cmpstr (a->device_name, ==, "kitchen");
    g_assert_cmpint (a->started, ==, t0 + 3 * G_USEC_PER_SEC);
    g_assert_cmpint (a->device_code, ==, 0x83);
    g_assert_cmpuint (a->stages->len, ==, 2);
    g_assert_cmpuint (a->rate_samples->len, ==, 2);
    lines = espy_history_get_log_lines (h, a);
    g_assert_nonnull (lines);
    g_assert_cmpstr (lines[1], ==, "[E][ota:200]: Write failed");

    last = espy_history_get_last (h, "kitchen", FALSE);
    g_assert_cmpint (last->started, ==, t0 + 5 * G_USEC_PER_SEC);
    last_failed = espy_history_get_last (h, "kitchen", TRUE);
    g_assert_cmpint (last_failed->started, ==, t0 + 3 * G_USEC_PER_SEC);
    g_assert_null (espy_history_get_last (h, "nobody", FALSE));
  }
}

static void
test_bounded (void)
{
  g_autofree char *dir = g_dir_make_tmp ("espy-history-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "history.json", NULL);
  g_autoptr(EspyHistory) h = espy_history_new (path);
  g_autoptr(EspyHistory) again = espy_history_new (path);
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;

  espy_history_set_max_attempts (h, 5);
  for (int i = 0; i < 8; i++)
    {
      g_autoptr(EspyInstallAttempt) a = make_attempt ("kitchen", (i + 1) * G_USEC_PER_SEC, TRUE);

      espy_history_add (h, a, NULL);
    }
  g_assert_cmpuint (espy_history_get_n_attempts (h), ==, 5);
  g_assert_true (espy_history_save (h, &error));

  g_assert_true (espy_history_load (again, &error));
  all = espy_history_list (again, NULL, 0);
  g_assert_cmpuint (all->len, ==, 5);
  /* The three oldest went. */
  g_assert_cmpint (((EspyInstallAttempt *) all->pdata[4])->started, ==, 4 * G_USEC_PER_SEC);
  g_assert_cmpint (((EspyInstallAttempt *) all->pdata[0])->started, ==, 8 * G_USEC_PER_SEC);
  g_assert_cmpuint (espy_history_get_max_attempts (again), ==, ESPY_HISTORY_DEFAULT_MAX);

  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* espy_history_add() writes in a worker thread; the file appears without a
 * save call, mode 0600, and no temp file is left over. */
static void
test_async_write (void)
{
  g_autofree char *dir = g_dir_make_tmp ("espy-history-XXXXXX", NULL);
  g_autofree char *sub = g_build_filename (dir, "espy", NULL);
  g_autofree char *path = g_build_filename (sub, "history.json", NULL);
  g_autoptr(EspyHistory) h = espy_history_new (path);
  g_autoptr(EspyInstallAttempt) a = make_attempt ("porch", 42 * G_USEC_PER_SEC, TRUE);
  g_autoptr(GDir) d = NULL;
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  GStatBuf st;
  const char *name;
  guint n = 0;

  espy_history_add (h, a, NULL);
  while (!g_file_test (path, G_FILE_TEST_EXISTS) && g_get_monotonic_time () < deadline)
    g_usleep (10000);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  {
    g_autofree char *text = read_file (path);
    g_assert_nonnull (strstr (text, "\"porch\""));
  }
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  d = g_dir_open (sub, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    n++;
  g_assert_cmpuint (n, ==, 1);

  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_cmpint (g_rmdir (sub), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_corrupt (void)
{
  g_autofree char *dir = g_dir_make_tmp ("espy-history-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "history.json", NULL);
  g_autoptr(EspyHistory) h = espy_history_new (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = NULL;
  g_autofree char *aside = NULL;
  const char *name;

  g_assert_true (g_file_set_contents (path, "{\"version\":1,\"attempts\":[{\"started\":\"yesterday\"", -1, NULL));
  expect_warnings ();
  g_assert_true (espy_history_load (h, &error));
  {
    g_autofree char *warnings = caught ();
    g_assert_true (g_pattern_match_simple ("*install history*damaged*moved to*", warnings));
  }
  g_assert_no_error (error);
  g_assert_cmpuint (espy_history_get_n_attempts (h), ==, 0);
  g_assert_nonnull (espy_history_get_load_warning (h));

  /* The damaged file was kept aside, not deleted. */
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "history.json.corrupt-"))
      aside = g_build_filename (dir, name, NULL);
  g_assert_nonnull (aside);
  {
    g_autofree char *text = read_file (aside);
    g_assert_nonnull (strstr (text, "yesterday"));
  }

  /* And a new history works there. */
  {
    g_autoptr(EspyInstallAttempt) a = make_attempt ("kitchen", G_USEC_PER_SEC, TRUE);
    g_autoptr(EspyHistory) again = espy_history_new (path);

    espy_history_add (h, a, NULL);
    g_assert_true (espy_history_save (h, &error));
    g_assert_true (espy_history_load (again, &error));
    g_assert_cmpuint (espy_history_get_n_attempts (again), ==, 1);
    g_assert_null (espy_history_get_load_warning (again));
  }

  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_cmpint (g_remove (aside), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* A wrong type in a valid JSON document is damage too. */
static void
test_wrong_shape (void)
{
  g_autofree char *dir = g_dir_make_tmp ("espy-history-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "history.json", NULL);
  g_autoptr(EspyHistory) h = espy_history_new (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = NULL;
  const char *name;

  g_assert_true (g_file_set_contents (path, "[1, 2, 3]", -1, NULL));
  expect_warnings ();
  g_assert_true (espy_history_load (h, &error));
  {
    g_autofree char *warnings = caught ();
    g_assert_nonnull (strstr (warnings, "damaged"));
  }
  g_assert_cmpuint (espy_history_get_n_attempts (h), ==, 0);

  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_assert_cmpint (g_remove (p), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* Secrets that reach an attempt's free texts or its log lines never reach
 * the file. */
static void
test_no_secrets (void)
{
  g_autofree char *dir = g_dir_make_tmp ("espy-history-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "history.json", NULL);
  g_autoptr(EspyHistory) h = espy_history_new (path);
  g_autoptr(EspyInstallAttempt) a = make_attempt ("kitchen", G_USEC_PER_SEC, TRUE);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const char *secrets[] = {
    "hunter2-ota", "dXNlcjpodW50ZXIy", "px4Ri8G4vvvt9T2fJ0hzIuCmY4DJm2QJbHUHx7JmW5Q=", "web-pa55word", "apipass99",
  };
  const char *logs[] = {
    "\033[0;36m[D][ota:042]: Password: \033[5mhunter2-ota\033[6m\033[0m",
    "[C][api:100]:   Encryption key: px4Ri8G4vvvt9T2fJ0hzIuCmY4DJm2QJbHUHx7JmW5Q=",
    "[D][web_server:200]: Authorization: Basic dXNlcjpodW50ZXIy",
    "[C][api:101]:   password: \"apipass99\"",
    NULL,
  };

  espy_install_attempt_set_string (a, &a->error_message,
                                   "Upload to http://admin:web-pa55word@10.0.0.5/update failed");
  espy_history_add (h, a, logs);
  g_assert_true (espy_history_save (h, &error));
  g_assert_no_error (error);

  text = read_file (path);
  for (gsize i = 0; i < G_N_ELEMENTS (secrets); i++)
    if (strstr (text, secrets[i]) != NULL)
      g_error ("secret “%s” written to the history:\n%s", secrets[i], text);
  /* What is not secret stays readable. */
  g_assert_nonnull (strstr (text, "[D][ota:042]: Password: "));
  g_assert_nonnull (strstr (text, ESPY_REPORT_REDACTED));
  g_assert_nonnull (strstr (text, "10.0.0.5/update failed"));

  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *data_home = g_dir_make_tmp ("espy-test-data-XXXXXX", NULL);
  g_autofree char *espy_dir = g_build_filename (data_home, "espy", NULL);
  g_autofree char *default_file = g_build_filename (espy_dir, "history.json", NULL);
  int ret;

  /* A private data directory (G_TEST_OPTION_ISOLATE_DIRS leaks in GLib 2.74). */
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_log_set_writer_func (writer, NULL, NULL);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/history/default-path", test_default_path);
  g_test_add_func ("/history/restart-and-queries", test_restart_and_queries);
  g_test_add_func ("/history/bounded", test_bounded);
  g_test_add_func ("/history/async-write", test_async_write);
  g_test_add_func ("/history/corrupt", test_corrupt);
  g_test_add_func ("/history/wrong-shape", test_wrong_shape);
  g_test_add_func ("/history/no-secrets", test_no_secrets);

  ret = g_test_run ();
  g_remove (default_file);
  g_rmdir (espy_dir);
  g_rmdir (data_home);
  return ret;
}
