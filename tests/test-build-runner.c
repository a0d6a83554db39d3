/* test-build-runner.c: EspyBuildRunner against tests/esphome-standin, the
 * test double of the `esphome` compiler (ESPY_ESPHOME points at it).
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utime.h>
#include <glib/gstdio.h>

#include "espy-build-runner.h"
#include "espy-firmware-image.h"

#define STANDIN_VERSION "2026.1.7-test"
/* From tests/fixtures/build/secrets.yaml and custom-path.yaml. */
#define KITCHEN_OTA_SECRET "ota-secret-0815"
#define PORCH_OTA_SECRET "porch-ota-secret"

static char *standin_path;

typedef struct {
  char             *dir;
  char             *log_path;
  EspyBuildRunner  *runner;
  GCancellable     *cancellable;
  /* "VAR=value" words for the stand-in; the test's own environment is left
   * alone (setenv is not thread-safe once GIO runs). */
  GPtrArray        *standin_env;

  /* What a build reported. */
  GPtrArray        *plain_lines;
  GPtrArray        *raw_lines;
  GArray           *progress;
  GPid              first_line_pid;
  gboolean          first_line_while_running;
  GPid              pid;
  gint64            cancelled_at;
  GFile            *result;
  GError           *error;
  gboolean          done;
} Fixture;

static void
standin_env (Fixture    *f,
             const char *assignment)
{
  g_ptr_array_add (f->standin_env, g_strdup (assignment));
}

static void
copy_fixture (const char *dir,
              const char *name)
{
  g_autofree char *src = g_test_build_filename (G_TEST_DIST, "fixtures", "build", name, NULL);
  g_autofree char *dst = g_build_filename (dir, name, NULL);
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (src, &contents, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (dst, contents, (gssize) len, &error);
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  static const char * const files[] = {
    "kitchen.yaml", "secrets.yaml", "no-name.yaml", "plug.yaml", "custom-path.yaml",
  };
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("espy-build-XXXXXX", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    copy_fixture (f->dir, files[i]);
  f->log_path = g_build_filename (f->dir, "standin.log", NULL);
  f->standin_env = g_ptr_array_new_with_free_func (g_free);
  standin_env (f, "ESPHOME_STANDIN_VERSION=" STANDIN_VERSION);
  /* Small images keep the suite fast. */
  standin_env (f, "ESPHOME_STANDIN_SIZE=65536");
  {
    g_autofree char *log = g_strconcat ("ESPHOME_STANDIN_LOG=", f->log_path, NULL);

    standin_env (f, log);
  }
  f->plain_lines = g_ptr_array_new_with_free_func (g_free);
  f->raw_lines = g_ptr_array_new_with_free_func (g_free);
  f->progress = g_array_new (FALSE, FALSE, sizeof (double));
  f->cancellable = g_cancellable_new ();
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          remove_tree (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->log_path);
  g_clear_object (&f->runner);
  g_clear_object (&f->cancellable);
  g_clear_object (&f->result);
  g_clear_error (&f->error);
  g_ptr_array_unref (f->standin_env);
  g_ptr_array_unref (f->plain_lines);
  g_ptr_array_unref (f->raw_lines);
  g_array_unref (f->progress);
}

static gboolean
process_exists (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d", (int) pid);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* Running, as opposed to gone or a zombie waiting for its parent. */
static gboolean
process_running (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  const char *paren;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;
  paren = strrchr (stat, ')');
  return paren == NULL || paren[1] == '\0' || paren[2] != 'Z';
}

static void
on_output_line (EspyBuildRunner *runner,
                const char      *plain,
                const char      *raw,
                Fixture         *f)
{
  g_assert_true (g_utf8_validate (plain, -1, NULL));
  g_assert_true (g_utf8_validate (raw, -1, NULL));
  if (f->plain_lines->len == 0)
    {
      f->first_line_pid = espy_build_runner_get_pid (runner);
      f->first_line_while_running = f->first_line_pid > 0 && process_exists (f->first_line_pid);
    }
  if (espy_build_runner_get_pid (runner) > 0)
    f->pid = espy_build_runner_get_pid (runner);
  g_ptr_array_add (f->plain_lines, g_strdup (plain));
  g_ptr_array_add (f->raw_lines, g_strdup (raw));
}

static void
on_progress (EspyBuildRunner *runner,
             GParamSpec      *pspec,
             Fixture         *f)
{
  double value = espy_build_runner_get_progress (runner);

  g_array_append_val (f->progress, value);
}

static void
on_built (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Fixture *f = user_data;

  f->result = espy_build_runner_build_finish (ESPY_BUILD_RUNNER (source), result, &f->error);
  f->done = TRUE;
}

static EspyBuildRunner *
make_runner (Fixture    *f,
             const char *yaml,
             const char *node_name)
{
  g_autofree char *path = g_build_filename (f->dir, yaml, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);

  g_autoptr(GString) command = g_string_new ("env");

  /* The stand-in through env(1): its knobs reach it without touching this
   * process's environment. Never a shell. */
  for (guint i = 0; i < f->standin_env->len; i++)
    {
      g_autofree char *quoted = g_shell_quote (g_ptr_array_index (f->standin_env, i));

      g_string_append_printf (command, " %s", quoted);
    }
  {
    g_autofree char *quoted = g_shell_quote (standin_path);

    g_string_append_printf (command, " %s", quoted);
  }

  g_clear_object (&f->runner);
  f->runner = espy_build_runner_new (file);
  espy_build_runner_set_command (f->runner, command->str);
  if (node_name != NULL)
    espy_build_runner_set_node_name (f->runner, node_name);
  g_signal_connect (f->runner, "output-line", G_CALLBACK (on_output_line), f);
  g_signal_connect (f->runner, "notify::progress", G_CALLBACK (on_progress), f);
  return f->runner;
}

static void
run_build (Fixture *f)
{
  f->done = FALSE;
  g_clear_object (&f->result);
  g_clear_error (&f->error);
  espy_build_runner_build_async (f->runner, f->cancellable, on_built, f);
  while (!f->done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (espy_build_runner_get_running (f->runner));
}

static GBytes *
read_bytes (GFile *file)
{
  g_autoptr(GError) error = NULL;
  GBytes *bytes = g_file_load_bytes (file, NULL, NULL, &error);

  g_assert_no_error (error);
  return bytes;
}

static char *
read_log (Fixture *f)
{
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (f->log_path, &contents, NULL, NULL))
    return g_strdup ("");
  return g_steal_pointer (&contents);
}

static gboolean
lines_contain (GPtrArray  *lines,
               const char *needle)
{
  for (guint i = 0; i < lines->len; i++)
    if (strstr (g_ptr_array_index (lines, i), needle) != NULL)
      return TRUE;
  return FALSE;
}

static void
assert_monotonic (GArray *progress)
{
  for (guint i = 1; i < progress->len; i++)
    g_assert_cmpfloat (g_array_index (progress, double, i), >=, g_array_index (progress, double, i - 1));
}

static void
assert_no_secret (Fixture    *f,
                  const char *secret)
{
  g_autofree char *log = read_log (f);

  g_assert_null (strstr (log, secret));
}

/* ---------------------------------------------------------------------- */

static void
test_success (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(EspyFirmwareImage) image = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *log = NULL;
  g_autofree char *yaml_path = g_build_filename (f->dir, "kitchen.yaml", NULL);
  g_autofree char *marker = NULL;
  const guint8 *data_ptr;
  gsize len = 0;

  standin_env (f, "ESPHOME_STANDIN_DELAY=1.5");
  standin_env (f, "ESPHOME_STANDIN_COLOR=1");
  make_runner (f, "kitchen.yaml", "kitchen");
  run_build (f);

  g_assert_no_error (f->error);
  g_assert_nonnull (f->result);

  /* The storage JSON's firmware_bin_path, as the real tool writes it. */
  expected = g_build_filename (f->dir, ".esphome", "build", "kitchen", ".pioenvs", "kitchen",
                               "firmware.bin", NULL);
  g_assert_cmpstr (g_file_peek_path (f->result), ==, expected);

  bytes = read_bytes (f->result);
  data_ptr = g_bytes_get_data (bytes, &len);
  g_assert_cmpuint (len, >, 64);
  g_assert_cmpuint (data_ptr[0], ==, 0xE9);
  marker = g_strdup_printf ("ESPY-SIM-FW:version=%s;compilation_time=", STANDIN_VERSION);
  g_assert_cmpint (memcmp (data_ptr + 32, marker, strlen (marker)), ==, 0);

  /* What the install job does next: the image passes Espy's own checks. */
  image = espy_firmware_image_load (f->result, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (espy_firmware_image_get_kind (image), ==, ESPY_FIRMWARE_KIND_ESP_APP);

  /* Streamed while the compiler still ran. */
  g_assert_true (f->first_line_while_running);
  g_assert_cmpuint (f->plain_lines->len, >, 20);
  g_assert_true (lines_contain (f->plain_lines, "INFO Reading configuration"));
  g_assert_true (lines_contain (f->plain_lines, "Linking .pioenvs/kitchen/firmware.elf"));
  g_assert_true (lines_contain (f->plain_lines, "INFO Successfully compiled program."));
  /* Colours: kept raw, stripped plain. */
  g_assert_true (lines_contain (f->raw_lines, "\033[32mINFO"));
  g_assert_false (lines_contain (f->plain_lines, "\033"));

  g_assert_cmpuint (f->progress->len, >, 5);
  assert_monotonic (f->progress);
  g_assert_cmpfloat (g_array_index (f->progress, double, f->progress->len - 1), >=, 0.95);
  g_assert_cmpfloat (espy_build_runner_get_progress (f->runner), ==, 1.0);
  g_assert_cmpuint (g_strv_length ((char **) espy_build_runner_get_error_lines (f->runner)), ==, 0);
  g_assert_false (process_exists (f->pid));

  /* How it was called: compile and the YAML path, never a password. */
  log = read_log (f);
  g_assert_nonnull (strstr (log, "\"compile\""));
  g_assert_nonnull (strstr (log, yaml_path));
  assert_no_secret (f, KITCHEN_OTA_SECRET);
  assert_no_secret (f, "wifi-secret-4711");
}

static void
test_image_follows_yaml (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *yaml_path = g_build_filename (f->dir, "secrets.yaml", NULL);
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GBytes) third = NULL;
  g_autoptr(GError) error = NULL;

  /* Same time text, so only the YAML can make the images differ. */
  standin_env (f, "ESPHOME_STANDIN_COMPILATION_TIME=Nov 25 2026, 16:40:12");
  make_runner (f, "kitchen.yaml", "kitchen");
  run_build (f);
  g_assert_no_error (f->error);
  first = read_bytes (f->result);

  run_build (f);
  g_assert_no_error (f->error);
  second = read_bytes (f->result);
  g_assert_true (g_bytes_equal (first, second));

  g_file_set_contents (yaml_path, "wifi_password: \"wifi-secret-4711\"\nota_password: \"changed\"\n", -1, &error);
  g_assert_no_error (error);
  run_build (f);
  g_assert_no_error (f->error);
  third = read_bytes (f->result);
  g_assert_false (g_bytes_equal (first, third));
}

static void
test_storage_preferred (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *expected = NULL;
  g_autofree char *standard = NULL;

  /* build_path: moves the build; only the storage JSON knows where. */
  make_runner (f, "custom-path.yaml", "porch");
  run_build (f);
  g_assert_no_error (f->error);
  expected = g_build_filename (f->dir, "builds", "porch-custom", ".pioenvs", "porch", "firmware.bin", NULL);
  g_assert_cmpstr (g_file_peek_path (f->result), ==, expected);
  standard = g_build_filename (f->dir, ".esphome", "build", "porch", NULL);
  g_assert_false (g_file_test (standard, G_FILE_TEST_EXISTS));
  assert_no_secret (f, PORCH_OTA_SECRET);
}

static void
test_stale_storage_ignored (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *storage_dir = g_build_filename (f->dir, ".esphome", "storage", NULL);
  g_autofree char *storage = g_build_filename (storage_dir, "kitchen.yaml.json", NULL);
  g_autofree char *decoy = g_build_filename (f->dir, "old-firmware.bin", NULL);
  g_autofree char *json = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;
  struct utimbuf old = { 0 };

  /* A storage file from an earlier build names another image. */
  g_assert_cmpint (g_mkdir_with_parents (storage_dir, 0755), ==, 0);
  g_file_set_contents (decoy, "\xE9 old build", -1, &error);
  g_assert_no_error (error);
  json = g_strdup_printf ("{\"name\": \"kitchen\", \"firmware_bin_path\": \"%s\"}", decoy);
  g_file_set_contents (storage, json, -1, &error);
  g_assert_no_error (error);
  old.actime = old.modtime = time (NULL) - 3600;
  g_assert_cmpint (utime (storage, &old), ==, 0);

  standin_env (f, "ESPHOME_STANDIN_NO_STORAGE=1");
  /* No node name given: the runner takes it from the storage JSON. */
  make_runner (f, "kitchen.yaml", NULL);
  run_build (f);
  g_assert_no_error (f->error);
  expected = g_build_filename (f->dir, ".esphome", "build", "kitchen", ".pioenvs", "kitchen",
                               "firmware.ota.bin", NULL);
  g_assert_cmpstr (g_file_peek_path (f->result), ==, expected);
}

static void
test_uf2 (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GBytes) bytes = NULL;
  const guint8 *p;
  gsize len = 0;

  standin_env (f, "ESPHOME_STANDIN_NO_STORAGE=1");
  make_runner (f, "plug.yaml", "plug-01");
  run_build (f);
  g_assert_no_error (f->error);
  g_assert_true (g_str_has_suffix (g_file_peek_path (f->result), "/.pioenvs/plug-01/firmware.uf2"));
  bytes = read_bytes (f->result);
  p = g_bytes_get_data (bytes, &len);
  g_assert_cmpuint (len, >=, 512);
  g_assert_cmpint (memcmp (p, "UF2\n", 4), ==, 0);
}

static void
test_compile_failure (Fixture       *f,
                      gconstpointer  data)
{
  const char * const *lines;
  gboolean has_star = FALSE;

  standin_env (f, "ESPHOME_STANDIN_FAIL=compile");
  make_runner (f, "kitchen.yaml", "kitchen");
  run_build (f);
  g_assert_error (f->error, ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_COMPILE_FAILED);
  g_assert_null (f->result);
  g_assert_nonnull (strstr (f->error->message, "src/main.cpp:12:3: error: 'foo' was not declared in this scope"));
  g_assert_nonnull (strstr (f->error->message, "kitchen.yaml"));

  lines = espy_build_runner_get_error_lines (f->runner);
  g_assert_cmpuint (g_strv_length ((char **) lines), >, 0);
  g_assert_cmpuint (g_strv_length ((char **) lines), <=, 15);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_assert_false (g_str_has_prefix (lines[i], "Compiling ."));
      g_assert_false (g_str_has_prefix (lines[i], "INFO "));
      if (g_str_has_prefix (lines[i], "*** [.pioenvs/kitchen/src/main.cpp.o] Error 1"))
        has_star = TRUE;
    }
  g_assert_true (has_star);
  assert_monotonic (f->progress);
}

static void
test_config_failure (Fixture       *f,
                     gconstpointer  data)
{
  standin_env (f, "ESPHOME_STANDIN_FAIL=config");
  make_runner (f, "kitchen.yaml", "kitchen");
  run_build (f);
  g_assert_error (f->error, ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_CONFIG_INVALID);
  g_assert_nonnull (strstr (f->error->message, "Invalid YAML syntax: mapping values are not allowed here"));
  g_assert_null (strstr (f->error->message, "ERROR "));

  /* A config without esphome: name: fails like the real tool. */
  g_ptr_array_remove_index (f->standin_env, f->standin_env->len - 1);
  make_runner (f, "no-name.yaml", NULL);
  run_build (f);
  g_assert_error (f->error, ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_CONFIG_INVALID);
  g_assert_nonnull (strstr (f->error->message, "'name' is a required option for [esphome]"));
}

static void
test_missing (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *python = g_find_program_in_path ("python3");
  g_autofree char *standin = g_shell_quote (standin_path);

  /* ESPY_ESPHOME names a program that is not there. In a child process:
   * setenv is only safe before GIO starts its threads. */
  if (g_test_subprocess ())
    {
      g_setenv ("ESPY_ESPHOME", "/nonexistent/esphome", TRUE);
      make_runner (f, "kitchen.yaml", "kitchen");
      espy_build_runner_set_command (f->runner, NULL);
      run_build (f);
      g_assert_error (f->error, ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_ESPHOME_MISSING);
      g_assert_nonnull (strstr (f->error->message, "pip install esphome"));
      g_assert_nonnull (strstr (f->error->message, "Preferences"));

      /* The Preferences setting wins over the environment. */
      espy_build_runner_set_command (f->runner, standin);
      run_build (f);
      g_assert_no_error (f->error);
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();

  make_runner (f, "kitchen.yaml", "kitchen");
  espy_build_runner_set_command (f->runner, "/nonexistent/esphome");
  run_build (f);
  g_assert_error (f->error, ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_ESPHOME_MISSING);
  g_assert_cmpstr (f->error->message, ==, "The ESPHome compiler was not found. Install it with `pip install "
                   "esphome` (or pipx), or set its path in Preferences.");

  /* A shell wrapper's "command not found". */
  espy_build_runner_set_command (f->runner, "sh -c 'echo \"sh: 1: esphome: not found\"; exit 127' sh");
  run_build (f);
  g_assert_error (f->error, ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_ESPHOME_MISSING);

  /* "python3 -m esphome" without the module, when it really is missing. */
  if (python != NULL)
    {
      const char *check[] = { python, "-c", "import esphome", NULL };
      int status = 0;

      g_spawn_sync (NULL, (char **) check, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                    NULL, NULL, NULL, NULL, &status, NULL);
      if (status != 0)
        {
          espy_build_runner_set_command (f->runner, "python3 -m esphome");
          run_build (f);
          g_assert_error (f->error, ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_ESPHOME_MISSING);
        }
    }

  /* Found but not runnable is another failure. */
  espy_build_runner_set_command (f->runner, f->dir);
  run_build (f);
  g_assert_error (f->error, ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_SPAWN_FAILED);
}

static gboolean
cancel_soon (gpointer user_data)
{
  Fixture *f = user_data;

  f->cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (f->cancellable);
  return G_SOURCE_REMOVE;
}

static void
on_first_line_cancel (EspyBuildRunner *runner,
                      const char      *plain,
                      const char      *raw,
                      Fixture         *f)
{
  if (f->cancelled_at == 0 && f->plain_lines->len == 1)
    g_timeout_add (300, cancel_soon, f);
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  gint64 took;

  standin_env (f, "ESPHOME_STANDIN_DELAY=30");
  make_runner (f, "kitchen.yaml", "kitchen");
  g_signal_connect_after (f->runner, "output-line", G_CALLBACK (on_first_line_cancel), f);
  run_build (f);
  took = g_get_monotonic_time () - f->cancelled_at;

  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (f->cancelled_at, >, 0);
  g_assert_cmpint (took, <, 6 * G_USEC_PER_SEC);
  g_assert_cmpint (f->first_line_pid, >, 0);
  /* Reaped, not a zombie: no /proc entry at all. */
  g_assert_false (process_exists (f->first_line_pid));
  g_assert_false (lines_contain (f->plain_lines, "Successfully compiled"));
}

static void
test_cancel_stubborn (Fixture       *f,
                      gconstpointer  data)
{
  gint64 took;

  /* Ignores SIGTERM (and so does the sleep it becomes): SIGKILL after 5 s. */
  make_runner (f, "kitchen.yaml", "kitchen");
  espy_build_runner_set_command (f->runner, "sh -c 'trap \"\" TERM; echo started; exec sleep 60' sh");
  g_signal_connect_after (f->runner, "output-line", G_CALLBACK (on_first_line_cancel), f);
  run_build (f);
  took = g_get_monotonic_time () - f->cancelled_at;

  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (took, >=, 4 * G_USEC_PER_SEC);
  g_assert_cmpint (took, <, 8 * G_USEC_PER_SEC);
  g_assert_false (process_exists (f->first_line_pid));
}

static void
test_cancel_kills_group (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *pid_file = g_build_filename (f->dir, "grandchild.pid", NULL);
  g_autofree char *quoted = g_shell_quote (pid_file);
  g_autofree char *command = NULL;
  g_autofree char *contents = NULL;
  GPid grandchild;

  /* As esphome starts PlatformIO and the compilers: they must go too. */
  command = g_strdup_printf ("sh -c 'sleep 60 & echo $! > %s; echo started; wait' sh", quoted);
  make_runner (f, "kitchen.yaml", "kitchen");
  espy_build_runner_set_command (f->runner, command);
  g_signal_connect_after (f->runner, "output-line", G_CALLBACK (on_first_line_cancel), f);
  run_build (f);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_assert_true (g_file_get_contents (pid_file, &contents, NULL, NULL));
  grandchild = (GPid) atoi (contents);
  g_assert_cmpint (grandchild, >, 0);
  /* Killed. Not our child: whoever inherits it reaps it, so a zombie
   * for a moment is fine. */
  for (guint i = 0; i < 100 && process_running (grandchild); i++)
    g_usleep (20000);
  g_assert_false (process_running (grandchild));
}

static void
test_pipe_held_open (Fixture       *f,
                     gconstpointer  data)
{
  gint64 start = g_get_monotonic_time ();

  /* Exits at once, but a background child keeps the output pipe for 4 s:
   * the runner stops waiting for it after its 2 s grace. */
  make_runner (f, "kitchen.yaml", "kitchen");
  espy_build_runner_set_command (f->runner, "sh -c '(sleep 4 &); echo Compiling .pioenvs/x/a.o; exit 1' sh");
  run_build (f);
  g_assert_error (f->error, ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_COMPILE_FAILED);
  g_assert_nonnull (strstr (f->error->message, "exit code 1"));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3500 * 1000);
  g_assert_true (lines_contain (f->plain_lines, "Compiling .pioenvs/x/a.o"));
}

static void
test_cancel_before_start (Fixture       *f,
                          gconstpointer  data)
{
  g_cancellable_cancel (f->cancellable);
  make_runner (f, "kitchen.yaml", "kitchen");
  run_build (f);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (f->plain_lines->len, ==, 0);
  g_assert_false (g_file_test (f->log_path, G_FILE_TEST_EXISTS));
}

static void
on_second_built (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GError **error = user_data;
  g_autoptr(GFile) file = espy_build_runner_build_finish (ESPY_BUILD_RUNNER (source), result, error);

  g_assert_null (file);
}

static void
test_one_at_a_time (Fixture       *f,
                    gconstpointer  data)
{
  GError *second_error = NULL;

  make_runner (f, "kitchen.yaml", "kitchen");
  f->done = FALSE;
  espy_build_runner_build_async (f->runner, NULL, on_built, f);
  g_assert_true (espy_build_runner_get_running (f->runner));
  espy_build_runner_build_async (f->runner, NULL, on_second_built, &second_error);
  while (!f->done || second_error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (second_error, G_IO_ERROR, G_IO_ERROR_PENDING);
  g_clear_error (&second_error);
  g_assert_no_error (f->error);
  g_assert_nonnull (f->result);
}

static void
test_no_firmware (Fixture       *f,
                  gconstpointer  data)
{
  /* Claims success, writes nothing. */
  make_runner (f, "kitchen.yaml", "kitchen");
  espy_build_runner_set_command (f->runner, "sh -c 'echo INFO Successfully compiled program.' sh");
  run_build (f);
  g_assert_error (f->error, ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_NO_FIRMWARE);
  g_assert_nonnull (strstr (f->error->message, "kitchen.yaml.json"));
  g_assert_nonnull (strstr (f->error->message, "/.esphome/build/kitchen/.pioenvs/kitchen/firmware.bin"));
}

static void
test_argv (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *yaml_path = g_build_filename (f->dir, "kitchen.yaml", NULL);
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;

  if (g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("inside a Flatpak the argv starts with flatpak-spawn");
      return;
    }

  make_runner (f, "kitchen.yaml", "kitchen");
  espy_build_runner_set_command (f->runner, "python3 -m 'esphome'");
  argv = espy_build_runner_build_argv (f->runner, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (argv), ==, 5);
  g_assert_cmpstr (argv[0], ==, "python3");
  g_assert_cmpstr (argv[1], ==, "-m");
  g_assert_cmpstr (argv[2], ==, "esphome");
  g_assert_cmpstr (argv[3], ==, "compile");
  g_assert_cmpstr (argv[4], ==, yaml_path);

  espy_build_runner_set_command (f->runner, "esphome 'unterminated");
  g_clear_pointer (&argv, g_strfreev);
  argv = espy_build_runner_build_argv (f->runner, &error);
  g_assert_null (argv);
  g_assert_error (error, ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_SPAWN_FAILED);

  /* Empty: back to the environment (meson sets ESPY_ESPHOME), else PATH. */
  espy_build_runner_set_command (f->runner, "");
  g_assert_cmpstr (espy_build_runner_get_command (f->runner), ==,
                   g_getenv ("ESPY_ESPHOME") != NULL ? g_getenv ("ESPY_ESPHOME") : "esphome");
}

static void
test_strip_ansi (void)
{
  static const struct {
    const char *in;
    const char *out;
  } cases[] = {
    { "plain", "plain" },
    { "\033[32mINFO\033[0m done", "INFO done" },
    { "\033[1;31;40mred\033[m", "red" },
    { "\033]8;;http://x\033\\link\033]8;;\033\\", "link" },
    { "\033]0;title\a text", " text" },
    { "tab\there", "tab\there" },
    { "bell\a and \033(B charset", "bell and  charset" },
    { "cut \033[3", "cut " },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = espy_build_strip_ansi (cases[i].in);

      g_assert_cmpstr (got, ==, cases[i].out);
    }
}

int
main (int   argc,
      char *argv[])
{
  const char *env;
  int ret;

  g_test_init (&argc, &argv, NULL);

  /* meson sets ESPY_ESPHOME to the stand-in; else find it beside the test. */
  env = g_getenv ("ESPY_ESPHOME");
  if (env != NULL && *env != '\0')
    standin_path = g_strdup (env);
  else
    standin_path = g_test_build_filename (G_TEST_DIST, "esphome-standin", NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/build-runner/success", test_success);
  ADD ("/build-runner/image-follows-yaml", test_image_follows_yaml);
  ADD ("/build-runner/storage-preferred", test_storage_preferred);
  ADD ("/build-runner/stale-storage-ignored", test_stale_storage_ignored);
  ADD ("/build-runner/uf2", test_uf2);
  ADD ("/build-runner/compile-failure", test_compile_failure);
  ADD ("/build-runner/config-failure", test_config_failure);
  ADD ("/build-runner/missing", test_missing);
  ADD ("/build-runner/cancel", test_cancel);
  ADD ("/build-runner/cancel-stubborn", test_cancel_stubborn);
  ADD ("/build-runner/cancel-kills-group", test_cancel_kills_group);
  ADD ("/build-runner/pipe-held-open", test_pipe_held_open);
  ADD ("/build-runner/cancel-before-start", test_cancel_before_start);
  ADD ("/build-runner/one-at-a-time", test_one_at_a_time);
  ADD ("/build-runner/no-firmware", test_no_firmware);
  ADD ("/build-runner/argv", test_argv);
#undef ADD
  g_test_add_func ("/build-runner/strip-ansi", test_strip_ansi);

  ret = g_test_run ();
  g_free (standin_path);
  return ret;
}
