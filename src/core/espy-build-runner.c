/* espy-build-runner.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-build-runner.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

/* How long the compiler gets after SIGTERM before SIGKILL. */
#define KILL_GRACE_SECONDS    5
/* After the compiler exits, how long a grandchild may keep the pipe open
 * before we stop waiting for the rest of the output. */
#define DRAIN_GRACE_MS        2000
#define READ_CHUNK            16384
/* A longer "line" (a progress bar gone wrong, binary noise) is cut. */
#define MAX_LINE_LEN          (64 * 1024)
#define MAX_ERROR_LINES       15
#define MAX_STORAGE_JSON_SIZE (1024 * 1024)

struct _EspyBuildRunner
{
  GObject       parent_instance;

  GFile        *file;
  char         *node_name;
  char         *command;

  /* One build at a time; all of this is reset when it starts. */
  GTask        *task;
  GSubprocess  *process;
  GPid          pid;
  GCancellable *read_cancellable;
  GSource      *cancel_source;
  GSource      *kill_source;
  GSource      *drain_source;
  GByteArray   *partial;        /* bytes of the line being read */
  gboolean      last_was_cr;
  gboolean      exited;
  gboolean      eof;
  gboolean      cancel_requested;
  gboolean      saw_missing;    /* the command ran but said esphome is not there */
  gboolean      saw_config_error;
  gint64        started_us;     /* wall clock, compared with file times */
  guint         n_compiled;
  double        progress;
  char         *status;
  GQueue        recent;         /* last meaningful plain lines, char * */
  GStrv         error_lines;
};

G_DEFINE_FINAL_TYPE (EspyBuildRunner, espy_build_runner, G_TYPE_OBJECT)

G_DEFINE_QUARK (espy-build-error-quark, espy_build_error)

enum {
  PROP_0,
  PROP_FILE,
  PROP_NODE_NAME,
  PROP_COMMAND,
  PROP_PROGRESS,
  PROP_STATUS,
  PROP_RUNNING,
  N_PROPS
};

enum {
  OUTPUT_LINE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const char * const empty_strv[] = { NULL };

/* What the worker thread needs to find the image; copied so the thread
 * touches nothing of the runner. */
typedef struct {
  char   *folder;
  char   *file_name;
  char   *node_name;
  gint64  started_us;
} LookupData;

static void
lookup_data_free (LookupData *data)
{
  g_free (data->folder);
  g_free (data->file_name);
  g_free (data->node_name);
  g_free (data);
}

static gboolean
in_flatpak (void)
{
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS);
}

/* ---------------------------------------------------------------------- */
/* Output lines                                                            */

char *
espy_build_strip_ansi (const char *line)
{
  GString *out;
  const char *p;

  g_return_val_if_fail (line != NULL, NULL);

  out = g_string_sized_new (strlen (line));
  for (p = line; *p != '\0'; p++)
    {
      if (*p == '\033')
        {
          if (p[1] == '[')
            {
              /* CSI: parameters and intermediates, then one final byte. */
              p += 2;
              while (*p != '\0' && !(*p >= 0x40 && *p <= 0x7E))
                p++;
              if (*p == '\0')
                break;
            }
          else if (p[1] == ']')
            {
              /* OSC: up to BEL or ESC \ (terminal titles, hyperlinks). */
              p += 2;
              while (*p != '\0' && *p != '\a' && !(*p == '\033' && p[1] == '\\'))
                p++;
              if (*p == '\0')
                break;
              if (*p == '\033')
                p++;
            }
          else
            {
              /* nF/Fp escapes: intermediates (ESC ( B), then one final byte. */
              p++;
              while (*p >= 0x20 && *p <= 0x2F)
                p++;
              if (*p == '\0')
                break;
            }
          continue;
        }
      /* Other control characters would only garble a log view. */
      if ((guchar) *p < 0x20 && *p != '\t')
        continue;
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static void
set_progress (EspyBuildRunner *self,
              double           progress)
{
  /* Monotonic: a progress bar that goes back looks broken. */
  progress = CLAMP (progress, 0.0, 1.0);
  if (progress <= self->progress)
    return;
  self->progress = progress;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
}

static void
set_status (EspyBuildRunner *self,
            const char      *status)
{
  if (g_strcmp0 (self->status, status) == 0)
    return;
  g_free (self->status);
  self->status = g_strdup (status);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

static void
notify_running (EspyBuildRunner *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

/* The recognised milestones of ESPHome's and PlatformIO's output. The number
 * of source files is not known in advance, so compiling approaches 90 %
 * asymptotically (a typical build has 100 to 600 files). */
static void
update_progress (EspyBuildRunner *self,
                 const char      *plain)
{
  if (strstr (plain, "Reading configuration") != NULL)
    {
      set_status (self, _("Reading configuration"));
      set_progress (self, 0.05);
    }
  else if (strstr (plain, "Generating C++ source") != NULL)
    {
      set_status (self, _("Generating C++ source"));
      set_progress (self, 0.10);
    }
  else if (strstr (plain, "INFO Compiling app") != NULL)
    {
      set_status (self, _("Compiling"));
      set_progress (self, 0.12);
    }
  else if (g_str_has_prefix (plain, "Compiling .") || g_str_has_prefix (plain, "Archiving .")
           || g_str_has_prefix (plain, "Indexing ."))
    {
      g_autofree char *status = NULL;

      self->n_compiled++;
      status = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Compiling (%u file)",
                                             "Compiling (%u files)", self->n_compiled),
                                self->n_compiled);
      set_status (self, status);
      set_progress (self, 0.15 + 0.75 * self->n_compiled / (self->n_compiled + 100.0));
    }
  else if (g_str_has_prefix (plain, "Linking ."))
    {
      set_status (self, _("Linking"));
      set_progress (self, 0.90);
    }
  else if (g_str_has_prefix (plain, "Building ."))
    {
      set_status (self, _("Building the firmware image"));
      set_progress (self, 0.95);
    }
  else if (strstr (plain, "[SUCCESS]") != NULL && g_str_has_prefix (plain, "==="))
    set_progress (self, 0.97);
  else if (strstr (plain, "Successfully compiled program") != NULL)
    set_progress (self, 0.99);
}

/* Lines worth showing when a build fails: not the progress chatter. */
static gboolean
is_meaningful (const char *plain)
{
  static const char * const noise[] = {
    "INFO ", "Compiling .", "Linking .", "Archiving .", "Indexing .", "Building .",
    "Processing ", "HARDWARE:", "RAM:", "Flash:", "Dependency Graph", "|-- ", "Wrote 0x",
    "=====", "-----", "Creating esp", "Successfully created",
  };
  const char *p = plain;

  while (*p == ' ' || *p == '\t')
    p++;
  if (*p == '\0')
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (noise); i++)
    if (g_str_has_prefix (p, noise[i]))
      return FALSE;
  return TRUE;
}

static void
emit_line (EspyBuildRunner *self,
           const guint8    *data,
           gsize            len)
{
  g_autofree char *raw = g_utf8_make_valid ((const char *) data, (gssize) len);
  g_autofree char *plain = espy_build_strip_ansi (raw);

  update_progress (self, plain);

  if (strstr (plain, "No module named esphome") != NULL
      || (strstr (plain, "Failed to execute child process") != NULL && strstr (plain, "No such file") != NULL))
    self->saw_missing = TRUE;
  if (strstr (plain, "Error while reading config") != NULL || g_str_has_prefix (plain, "Failed config"))
    self->saw_config_error = TRUE;

  if (is_meaningful (plain))
    {
      g_queue_push_tail (&self->recent, g_strdup (plain));
      while (self->recent.length > MAX_ERROR_LINES)
        g_free (g_queue_pop_head (&self->recent));
    }

  g_signal_emit (self, signals[OUTPUT_LINE], 0, plain, raw);
}

static void
flush_partial (EspyBuildRunner *self)
{
  if (self->partial->len == 0)
    return;
  emit_line (self, self->partial->data, self->partial->len);
  g_byte_array_set_size (self->partial, 0);
}

/* Splits on \n, \r\n and a lone \r (progress bars redraw with it). */
static void
process_chunk (EspyBuildRunner *self,
               const guint8    *data,
               gsize            len)
{
  for (gsize i = 0; i < len; i++)
    {
      guint8 c = data[i];

      if (c == '\n')
        {
          if (!self->last_was_cr)
            {
              emit_line (self, self->partial->data, self->partial->len);
              g_byte_array_set_size (self->partial, 0);
            }
          self->last_was_cr = FALSE;
        }
      else if (c == '\r')
        {
          emit_line (self, self->partial->data, self->partial->len);
          g_byte_array_set_size (self->partial, 0);
          self->last_was_cr = TRUE;
        }
      else
        {
          self->last_was_cr = FALSE;
          g_byte_array_append (self->partial, &c, 1);
          if (self->partial->len >= MAX_LINE_LEN)
            flush_partial (self);
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Finding the image (worker thread)                                       */

static gboolean
valid_node_name (const char *name)
{
  /* It becomes a path component: no separators, no "..". */
  return name != NULL && *name != '\0' && *name != '.' && strchr (name, '/') == NULL;
}

static gboolean
read_storage_json (const char  *path,
                   char       **firmware_bin_path,
                   char       **name,
                   gint64      *mtime_us)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GDateTime) mtime = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *root;
  JsonObject *object;

  *firmware_bin_path = NULL;
  *name = NULL;
  *mtime_us = 0;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                            G_FILE_ATTRIBUTE_TIME_MODIFIED "," G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC,
                            G_FILE_QUERY_INFO_NONE, NULL, NULL);
  if (info == NULL || g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR
      || g_file_info_get_size (info) > MAX_STORAGE_JSON_SIZE)
    return FALSE;
  mtime = g_file_info_get_modification_date_time (info);
  if (mtime != NULL)
    *mtime_us = g_date_time_to_unix (mtime) * G_USEC_PER_SEC + g_date_time_get_microsecond (mtime);

  parser = json_parser_new ();
  if (!json_parser_load_from_file (parser, path, &error))
    {
      g_debug ("Ignoring %s: %s", path, error->message);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  object = json_node_get_object (root);
  *firmware_bin_path = g_strdup (json_object_get_string_member_with_default (object, "firmware_bin_path", NULL));
  *name = g_strdup (json_object_get_string_member_with_default (object, "name", NULL));
  return TRUE;
}

static GFile *
find_firmware (LookupData  *data,
               GError     **error)
{
  g_autofree char *storage_name = g_strconcat (data->file_name, ".json", NULL);
  g_autofree char *storage_path = g_build_filename (data->folder, ".esphome", "storage", storage_name, NULL);
  g_autofree char *bin_path = NULL;
  g_autofree char *json_name = NULL;
  g_autoptr(GPtrArray) looked = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *looked_text = NULL;
  const char *name;
  gint64 mtime_us = 0;

  g_ptr_array_add (looked, g_strdup (storage_path));
  if (read_storage_json (storage_path, &bin_path, &json_name, &mtime_us))
    {
      /* A storage file older than this build describes an earlier one.
       * The kernel stamps files with a coarse clock, so allow a second. */
      if (bin_path != NULL && mtime_us >= data->started_us - G_USEC_PER_SEC)
        {
          g_autofree char *path = g_path_is_absolute (bin_path)
                                  ? g_strdup (bin_path)
                                  : g_build_filename (data->folder, bin_path, NULL);

          if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
            return g_file_new_for_path (path);
          g_ptr_array_add (looked, g_steal_pointer (&path));
        }
    }

  name = data->node_name != NULL ? data->node_name : json_name;
  if (valid_node_name (name))
    {
      static const char * const candidates[] = {
        /* Same bytes as firmware.bin where both exist; made for OTA. */
        "firmware.ota.bin", "firmware.bin", "firmware.uf2",
      };
      g_autofree char *dir = g_build_filename (data->folder, ".esphome", "build", name, ".pioenvs", name, NULL);

      for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
        {
          g_autofree char *path = g_build_filename (dir, candidates[i], NULL);

          if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
            return g_file_new_for_path (path);
          g_ptr_array_add (looked, g_steal_pointer (&path));
        }
    }

  g_ptr_array_add (looked, NULL);
  looked_text = g_strjoinv (", ", (char **) looked->pdata);
  if (valid_node_name (name))
    g_set_error (error, ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_NO_FIRMWARE,
                 _("ESPHome reported a successful build of “%s”, but no firmware image was found. "
                   "Looked at: %s"), data->file_name, looked_text);
  else
    g_set_error (error, ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_NO_FIRMWARE,
                 _("ESPHome reported a successful build of “%s”, but its node name is unknown, so the "
                   "build folder could not be found. Looked at: %s"), data->file_name, looked_text);
  return NULL;
}

static void
lookup_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;
  GFile *firmware = find_firmware (task_data, &error);

  if (firmware == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, firmware, g_object_unref);
}

/* ---------------------------------------------------------------------- */
/* The process                                                             */

static void
child_setup (gpointer user_data)
{
  /* Its own process group, so cancelling also stops PlatformIO, scons and
   * the compilers the esphome process started. Async-signal-safe. */
  setpgid (0, 0);
}

static void
signal_process (EspyBuildRunner *self,
                int              signum)
{
  if (self->pid > 0 && kill (-self->pid, signum) == 0)
    return;
  if (self->process != NULL)
    g_subprocess_send_signal (self->process, signum);
}

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static GSource *
attach_source (GSource     *source,
               GSourceFunc  func,
               gpointer     data)
{
  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

static GError *
missing_error (void)
{
  if (in_flatpak ())
    return g_error_new_literal (ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_ESPHOME_MISSING,
                                _("The ESPHome compiler was not found on this computer. Espy runs it "
                                  "outside its sandbox, so it must be installed on the host: install it "
                                  "with `pip install esphome` (or pipx), or set its path in Preferences."));
  return g_error_new_literal (ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_ESPHOME_MISSING,
                              _("The ESPHome compiler was not found. Install it with `pip install esphome` "
                                "(or pipx), or set its path in Preferences."));
}

/* The line that says what went wrong, for a one-line message; the whole
 * tail stays available from espy_build_runner_get_error_lines(). */
static char *
key_error_line (const char * const *lines)
{
  static const char * const patterns[] = {
    "error:", "Error:", "undefined reference", "is a required option", "is an invalid option",
    "Error while reading config", "ERROR ", "Error", "error", "Failed config",
  };
  guint n = g_strv_length ((char **) lines);
  const char *line;
  GString *out;
  guint found = n;

  if (n == 0)
    return NULL;
  for (guint p = 0; p < G_N_ELEMENTS (patterns) && found == n; p++)
    for (guint i = 0; i < n; i++)
      if (strstr (lines[i], patterns[p]) != NULL)
        {
          found = i;
          break;
        }
  if (found == n)
    found = n - 1;

  line = lines[found];
  while (*line == ' ')
    line++;
  if (g_str_has_prefix (line, "ERROR "))
    line += strlen ("ERROR ");
  out = g_string_new (line);
  /* "Invalid YAML syntax:" says little without the line after it. */
  if (g_str_has_suffix (out->str, ":") && found + 1 < n)
    {
      g_autofree char *next = g_strstrip (g_strdup (lines[found + 1]));

      g_string_append_printf (out, " %s", next);
    }
  return g_string_free (out, FALSE);
}

static void
on_lookup_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  EspyBuildRunner *self = ESPY_BUILD_RUNNER (source);
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GFile *firmware = g_task_propagate_pointer (G_TASK (result), &error);

  g_clear_object (&self->task);
  notify_running (self);
  if (firmware == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, firmware, g_object_unref);
}

static void
complete (EspyBuildRunner *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);
  g_autoptr(GSubprocess) process = g_steal_pointer (&self->process);
  g_autofree char *file_name = g_file_get_basename (self->file);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *key = NULL;
  GError *error = NULL;

  clear_source (&self->cancel_source);
  clear_source (&self->kill_source);
  clear_source (&self->drain_source);
  flush_partial (self);
  self->pid = 0;

  for (GList *l = self->recent.head; l != NULL; l = l->next)
    g_strv_builder_add (builder, l->data);
  g_strfreev (self->error_lines);
  self->error_lines = g_strv_builder_end (builder);
  key = key_error_line ((const char * const *) self->error_lines);

  if (self->cancel_requested)
    error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The build was cancelled."));
  else if (g_subprocess_get_if_signaled (process))
    error = g_error_new (ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_COMPILE_FAILED,
                         _("The ESPHome compiler stopped unexpectedly while building “%s” (signal %d)."),
                         file_name, g_subprocess_get_term_sig (process));
  else if (g_subprocess_get_exit_status (process) != 0)
    {
      int status = g_subprocess_get_exit_status (process);

      if (self->saw_missing || status == 127)
        error = missing_error ();
      else if (status == 2 || self->saw_config_error)
        error = key != NULL
                ? g_error_new (ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_CONFIG_INVALID,
                               _("ESPHome refused the configuration “%s”: %s"), file_name, key)
                : g_error_new (ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_CONFIG_INVALID,
                               _("ESPHome refused the configuration “%s”."), file_name);
      else
        error = key != NULL
                ? g_error_new (ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_COMPILE_FAILED,
                               _("ESPHome could not build “%s”: %s"), file_name, key)
                : g_error_new (ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_COMPILE_FAILED,
                               _("ESPHome could not build “%s” (exit code %d)."), file_name, status);
    }

  if (error != NULL)
    {
      set_status (self, self->cancel_requested ? _("Cancelled") : _("Failed"));
      notify_running (self);
      g_task_return_error (task, error);
      return;
    }

  /* Success: only failures keep their lines. */
  g_strfreev (self->error_lines);
  self->error_lines = g_new0 (char *, 1);
  set_status (self, _("Built"));
  set_progress (self, 1.0);

  {
    g_autoptr(GFile) folder = g_file_get_parent (self->file);
    g_autoptr(GTask) lookup = NULL;
    LookupData *data = g_new0 (LookupData, 1);

    /* Still one build (and "running") until the image is found. */
    self->task = g_object_ref (task);
    lookup = g_task_new (self, NULL, on_lookup_done, g_steal_pointer (&task));

    data->folder = g_file_get_path (folder);
    data->file_name = g_steal_pointer (&file_name);
    data->node_name = valid_node_name (self->node_name) ? g_strdup (self->node_name) : NULL;
    data->started_us = self->started_us;
    g_task_set_task_data (lookup, data, (GDestroyNotify) lookup_data_free);
    g_task_set_source_tag (lookup, complete);
    g_task_run_in_thread (lookup, lookup_thread);
  }
}

static void
maybe_complete (EspyBuildRunner *self)
{
  if (self->task != NULL && self->process != NULL && self->exited && self->eof)
    complete (self);
}

static gboolean
on_drain_timeout (gpointer user_data)
{
  EspyBuildRunner *self = user_data;

  /* Something the compiler started still holds the pipe: stop reading. */
  g_clear_pointer (&self->drain_source, g_source_unref);
  g_cancellable_cancel (self->read_cancellable);
  return G_SOURCE_REMOVE;
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(EspyBuildRunner) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Reading the compiler output failed: %s", error->message);
      self->eof = TRUE;
      maybe_complete (self);
      return;
    }

  {
    gsize len = 0;
    const guint8 *data = g_bytes_get_data (bytes, &len);

    process_chunk (self, data, len);
  }
  g_input_stream_read_bytes_async (G_INPUT_STREAM (source), READ_CHUNK, G_PRIORITY_DEFAULT,
                                   self->read_cancellable, on_read, g_object_ref (self));
}

static void
on_wait (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(EspyBuildRunner) self = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  if (G_SUBPROCESS (source) != self->process)
    return;
  self->exited = TRUE;
  clear_source (&self->kill_source);
  if (self->cancel_requested)
    {
      /* Anything left in the group goes too; don't wait for its output. */
      if (self->pid > 0)
        kill (-self->pid, SIGKILL);
      g_cancellable_cancel (self->read_cancellable);
    }
  else if (!self->eof && self->drain_source == NULL)
    self->drain_source = attach_source (g_timeout_source_new (DRAIN_GRACE_MS), on_drain_timeout, self);
  maybe_complete (self);
}

static gboolean
on_kill_timeout (gpointer user_data)
{
  EspyBuildRunner *self = user_data;

  g_clear_pointer (&self->kill_source, g_source_unref);
  g_debug ("The compiler ignored SIGTERM for %d s: killing it", KILL_GRACE_SECONDS);
  signal_process (self, SIGKILL);
  if (self->process != NULL)
    g_subprocess_force_exit (self->process);
  return G_SOURCE_REMOVE;
}

static gboolean
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  EspyBuildRunner *self = user_data;

  g_clear_pointer (&self->cancel_source, g_source_unref);
  self->cancel_requested = TRUE;
  set_status (self, _("Cancelling"));
  if (self->exited)
    {
      g_cancellable_cancel (self->read_cancellable);
      return G_SOURCE_REMOVE;
    }
  /* SIGTERM first: esphome and PlatformIO clean up their temporary files. */
  signal_process (self, SIGTERM);
  self->kill_source = attach_source (g_timeout_source_new_seconds (KILL_GRACE_SECONDS), on_kill_timeout, self);
  return G_SOURCE_REMOVE;
}

/* ---------------------------------------------------------------------- */
/* Public API                                                              */

char **
espy_build_runner_build_argv (EspyBuildRunner  *self,
                              GError          **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) command_argv = NULL;
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autofree char *yaml_path = NULL;
  const char *command;

  g_return_val_if_fail (ESPY_IS_BUILD_RUNNER (self), NULL);

  command = espy_build_runner_get_command (self);
  if (!g_shell_parse_argv (command, NULL, &command_argv, &parse_error))
    {
      g_set_error (error, ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_SPAWN_FAILED,
                   _("The ESPHome command “%s” could not be understood: %s"), command, parse_error->message);
      return NULL;
    }

  folder = g_file_get_parent (self->file);
  yaml_path = g_file_get_path (self->file);
  if (in_flatpak ())
    {
      g_autofree char *path = folder != NULL ? g_file_get_path (folder) : NULL;
      g_autofree char *directory = g_strconcat ("--directory=", path != NULL ? path : "/", NULL);

      /* The sandbox has no compiler: run the host's. --watch-bus ends it if
       * Espy goes away; the environment is not passed on by itself. */
      g_strv_builder_add_many (builder, "flatpak-spawn", "--host", "--watch-bus",
                               "--env=PYTHONUNBUFFERED=1", "--env=PYTHONIOENCODING=utf-8", directory, NULL);
    }
  g_strv_builder_addv (builder, (const char **) command_argv);
  g_strv_builder_add_many (builder, "compile", yaml_path, NULL);
  return g_strv_builder_end (builder);
}

void
espy_build_runner_build_async (EspyBuildRunner     *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autofree char *folder_path = NULL;
  g_autofree char *yaml_path = NULL;
  g_auto(GStrv) argv = NULL;
  GError *error = NULL;
  const char *identifier;

  g_return_if_fail (ESPY_IS_BUILD_RUNNER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_build_runner_build_async);

  if (self->task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING, _("A build is already running."));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  folder = g_file_get_parent (self->file);
  folder_path = folder != NULL ? g_file_get_path (folder) : NULL;
  yaml_path = g_file_get_path (self->file);
  if (folder_path == NULL || yaml_path == NULL)
    {
      g_task_return_new_error (task, ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_SPAWN_FAILED,
                               _("The configuration must be a local file to be built."));
      return;
    }

  argv = espy_build_runner_build_argv (self, &error);
  if (argv == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* Reset what the last build left. */
  g_queue_clear_full (&self->recent, g_free);
  g_strfreev (self->error_lines);
  self->error_lines = g_new0 (char *, 1);
  g_byte_array_set_size (self->partial, 0);
  self->last_was_cr = FALSE;
  self->exited = FALSE;
  self->eof = FALSE;
  self->cancel_requested = FALSE;
  self->saw_missing = FALSE;
  self->saw_config_error = FALSE;
  self->n_compiled = 0;
  self->progress = 0.0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
  set_status (self, _("Starting the ESPHome compiler"));
  self->started_us = g_get_real_time ();

  /* stdin is a closed pipe: a compiler that asks a question gets EOF
   * instead of hanging the build. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_cwd (launcher, folder_path);
  /* Python buffers a pipe in 8 KiB blocks: ask for lines as they come. */
  g_subprocess_launcher_setenv (launcher, "PYTHONUNBUFFERED", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "PYTHONIOENCODING", "utf-8", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv, &error);
  if (process == NULL)
    {
      if (g_error_matches (error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT))
        {
          g_clear_error (&error);
          error = missing_error ();
        }
      else
        {
          GError *spawn_error = error;

          error = g_error_new (ESPY_BUILD_ERROR, ESPY_BUILD_ERROR_SPAWN_FAILED,
                               _("The ESPHome compiler “%s” could not be started: %s"), argv[0],
                               spawn_error->message);
          g_error_free (spawn_error);
        }
      set_status (self, NULL);
      g_task_return_error (task, error);
      return;
    }

  g_output_stream_close (g_subprocess_get_stdin_pipe (process), NULL, NULL);

  identifier = g_subprocess_get_identifier (process);
  self->pid = identifier != NULL ? (GPid) atoi (identifier) : 0;
  self->process = g_object_ref (process);
  self->task = g_steal_pointer (&task);
  g_clear_object (&self->read_cancellable);
  self->read_cancellable = g_cancellable_new ();
  notify_running (self);

  g_input_stream_read_bytes_async (g_subprocess_get_stdout_pipe (process), READ_CHUNK, G_PRIORITY_DEFAULT,
                                   self->read_cancellable, on_read, g_object_ref (self));
  /* Never cancelled: the process is always waited for, so none is left. */
  g_subprocess_wait_async (process, NULL, on_wait, g_object_ref (self));

  if (cancellable != NULL)
    self->cancel_source = attach_source (g_cancellable_source_new (cancellable),
                                         G_SOURCE_FUNC (on_cancelled), self);
}

GFile *
espy_build_runner_build_finish (EspyBuildRunner  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  g_return_val_if_fail (ESPY_IS_BUILD_RUNNER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == espy_build_runner_build_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

EspyBuildRunner *
espy_build_runner_new (GFile *file)
{
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  return g_object_new (ESPY_TYPE_BUILD_RUNNER, "file", file, NULL);
}

GFile *
espy_build_runner_get_file (EspyBuildRunner *self)
{
  g_return_val_if_fail (ESPY_IS_BUILD_RUNNER (self), NULL);
  return self->file;
}

void
espy_build_runner_set_node_name (EspyBuildRunner *self,
                                 const char      *node_name)
{
  g_return_if_fail (ESPY_IS_BUILD_RUNNER (self));

  if (g_strcmp0 (self->node_name, node_name) == 0)
    return;
  g_free (self->node_name);
  self->node_name = g_strdup (node_name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NODE_NAME]);
}

const char *
espy_build_runner_get_node_name (EspyBuildRunner *self)
{
  g_return_val_if_fail (ESPY_IS_BUILD_RUNNER (self), NULL);
  return self->node_name;
}

void
espy_build_runner_set_command (EspyBuildRunner *self,
                               const char      *command)
{
  g_return_if_fail (ESPY_IS_BUILD_RUNNER (self));

  if (command != NULL && *command == '\0')
    command = NULL;
  if (g_strcmp0 (self->command, command) == 0)
    return;
  g_free (self->command);
  self->command = g_strdup (command);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMMAND]);
}

const char *
espy_build_runner_get_command (EspyBuildRunner *self)
{
  const char *env;

  g_return_val_if_fail (ESPY_IS_BUILD_RUNNER (self), NULL);

  if (self->command != NULL)
    return self->command;
  env = g_getenv ("ESPY_ESPHOME");
  if (env != NULL && *env != '\0')
    return env;
  return "esphome";
}

gboolean
espy_build_runner_get_running (EspyBuildRunner *self)
{
  g_return_val_if_fail (ESPY_IS_BUILD_RUNNER (self), FALSE);
  return self->task != NULL;
}

double
espy_build_runner_get_progress (EspyBuildRunner *self)
{
  g_return_val_if_fail (ESPY_IS_BUILD_RUNNER (self), 0.0);
  return self->progress;
}

const char *
espy_build_runner_get_status (EspyBuildRunner *self)
{
  g_return_val_if_fail (ESPY_IS_BUILD_RUNNER (self), NULL);
  return self->status;
}

GPid
espy_build_runner_get_pid (EspyBuildRunner *self)
{
  g_return_val_if_fail (ESPY_IS_BUILD_RUNNER (self), 0);
  return self->exited ? 0 : self->pid;
}

const char * const *
espy_build_runner_get_error_lines (EspyBuildRunner *self)
{
  g_return_val_if_fail (ESPY_IS_BUILD_RUNNER (self), empty_strv);
  return self->error_lines != NULL ? (const char * const *) self->error_lines : empty_strv;
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                 */

static void
espy_build_runner_dispose (GObject *object)
{
  EspyBuildRunner *self = ESPY_BUILD_RUNNER (object);

  clear_source (&self->cancel_source);
  clear_source (&self->kill_source);
  clear_source (&self->drain_source);
  if (self->read_cancellable != NULL)
    g_cancellable_cancel (self->read_cancellable);
  g_clear_object (&self->read_cancellable);
  g_clear_object (&self->process);

  G_OBJECT_CLASS (espy_build_runner_parent_class)->dispose (object);
}

static void
espy_build_runner_finalize (GObject *object)
{
  EspyBuildRunner *self = ESPY_BUILD_RUNNER (object);

  g_clear_object (&self->file);
  g_clear_pointer (&self->node_name, g_free);
  g_clear_pointer (&self->command, g_free);
  g_clear_pointer (&self->status, g_free);
  g_clear_pointer (&self->error_lines, g_strfreev);
  g_clear_pointer (&self->partial, g_byte_array_unref);
  g_queue_clear_full (&self->recent, g_free);

  G_OBJECT_CLASS (espy_build_runner_parent_class)->finalize (object);
}

static void
espy_build_runner_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  EspyBuildRunner *self = ESPY_BUILD_RUNNER (object);

  switch (prop_id)
    {
    case PROP_FILE:
      g_value_set_object (value, self->file);
      break;
    case PROP_NODE_NAME:
      g_value_set_string (value, self->node_name);
      break;
    case PROP_COMMAND:
      g_value_set_string (value, self->command);
      break;
    case PROP_PROGRESS:
      g_value_set_double (value, self->progress);
      break;
    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->task != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_build_runner_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  EspyBuildRunner *self = ESPY_BUILD_RUNNER (object);

  switch (prop_id)
    {
    case PROP_FILE:
      self->file = g_value_dup_object (value);
      break;
    case PROP_NODE_NAME:
      espy_build_runner_set_node_name (self, g_value_get_string (value));
      break;
    case PROP_COMMAND:
      espy_build_runner_set_command (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_build_runner_class_init (EspyBuildRunnerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = espy_build_runner_dispose;
  object_class->finalize = espy_build_runner_finalize;
  object_class->get_property = espy_build_runner_get_property;
  object_class->set_property = espy_build_runner_set_property;

  properties[PROP_FILE] = g_param_spec_object ("file", NULL, NULL, G_TYPE_FILE,
                                               G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                                               | G_PARAM_STATIC_STRINGS);
  properties[PROP_NODE_NAME] = g_param_spec_string ("node-name", NULL, NULL, NULL, rw);
  properties[PROP_COMMAND] = g_param_spec_string ("command", NULL, NULL, NULL, rw);
  properties[PROP_PROGRESS] = g_param_spec_double ("progress", NULL, NULL, 0.0, 1.0, 0.0, ro);
  properties[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, ro);
  properties[PROP_RUNNING] = g_param_spec_boolean ("running", NULL, NULL, FALSE, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[OUTPUT_LINE] = g_signal_new ("output-line", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                       G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                                       G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
espy_build_runner_init (EspyBuildRunner *self)
{
  self->partial = g_byte_array_new ();
  g_queue_init (&self->recent);
  self->error_lines = g_new0 (char *, 1);
}
