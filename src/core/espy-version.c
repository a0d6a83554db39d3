/* espy-version.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-version.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* The real `esphome version` starts Python and imports a lot: give it time. */
#define DETECT_TIMEOUT_MS 30000

/* Pre-release ranks: a development snapshot precedes the betas, which
 * precede release candidates, which precede the release. */
enum {
  PRE_DEV = 0,
  PRE_BETA,
  PRE_RC,
  PRE_RELEASE,
};

typedef struct {
  guint64 part[3];
  int     pre;
  guint64 pre_num;
} Version;

static gboolean
read_number (const char **p,
             guint64     *out)
{
  const char *s = *p;
  guint64 v = 0;

  if (!g_ascii_isdigit (*s))
    return FALSE;
  while (g_ascii_isdigit (*s))
    {
      if (v > G_MAXUINT32)
        return FALSE;
      v = v * 10 + (guint64) (*s - '0');
      s++;
    }
  *out = v;
  *p = s;
  return TRUE;
}

static gboolean
version_parse (const char *text,
               Version    *v)
{
  const char *p = text;

  memset (v, 0, sizeof *v);
  if (text == NULL)
    return FALSE;
  if (*p == 'v' || *p == 'V')
    p++;
  if (!read_number (&p, &v->part[0]) || *p != '.')
    return FALSE;
  p++;
  if (!read_number (&p, &v->part[1]))
    return FALSE;
  if (*p == '.')
    {
      p++;
      if (!read_number (&p, &v->part[2]))
        return FALSE;
    }
  /* Only three numeric parts exist in ESPHome versions. */
  if (*p == '.')
    return FALSE;

  v->pre = PRE_RELEASE;
  if (*p == '\0')
    return TRUE;
  if (*p == 'b')
    {
      p++;
      v->pre = PRE_BETA;
      if (!read_number (&p, &v->pre_num))
        return FALSE;
    }
  else if (g_str_has_prefix (p, "rc"))
    {
      p += 2;
      v->pre = PRE_RC;
      if (!read_number (&p, &v->pre_num))
        return FALSE;
    }
  else if (g_str_has_prefix (p, "-dev"))
    {
      p += 4;
      v->pre = PRE_DEV;
      /* "-dev" alone or with a date stamp ("-dev20251101"). */
      if (g_ascii_isdigit (*p) && !read_number (&p, &v->pre_num))
        return FALSE;
    }
  else
    return FALSE;

  return *p == '\0';
}

gboolean
espy_version_is_valid (const char *version)
{
  Version v;

  return version_parse (version, &v);
}

static int
cmp_u64 (guint64 a,
         guint64 b)
{
  return a < b ? -1 : a > b ? 1 : 0;
}

int
espy_version_compare (const char *a,
                      const char *b)
{
  Version va, vb;
  gboolean ok_a = version_parse (a, &va);
  gboolean ok_b = version_parse (b, &vb);
  guint i;
  int r;

  if (!ok_a || !ok_b)
    {
      if (ok_a != ok_b)
        return ok_a ? 1 : -1;
      return g_strcmp0 (a, b) < 0 ? -1 : g_strcmp0 (a, b) > 0 ? 1 : 0;
    }

  for (i = 0; i < G_N_ELEMENTS (va.part); i++)
    if ((r = cmp_u64 (va.part[i], vb.part[i])) != 0)
      return r;
  if (va.pre != vb.pre)
    return va.pre < vb.pre ? -1 : 1;
  return cmp_u64 (va.pre_num, vb.pre_num);
}

char *
espy_version_parse_esphome_output (const char *output)
{
  g_auto(GStrv) lines = NULL;
  guint i;

  if (output == NULL)
    return NULL;

  lines = g_strsplit (output, "\n", -1);
  for (i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);

      if (g_str_has_prefix (line, "Version:"))
        {
          g_autofree char *version = g_strdup (line + strlen ("Version:"));

          g_strstrip (version);
          if (espy_version_is_valid (version))
            return g_steal_pointer (&version);
        }
    }
  return NULL;
}

char **
espy_esphome_command_argv (void)
{
  const char *env = g_getenv ("ESPY_ESPHOME");
  char **argv = NULL;

  if (env != NULL && *env != '\0' && g_shell_parse_argv (env, NULL, &argv, NULL))
    return argv;
  argv = g_new0 (char *, 2);
  argv[0] = g_strdup ("esphome");
  return argv;
}

typedef struct {
  GSubprocess *process;
  char        *command;
  guint        timeout_id;
  gboolean     timed_out;
} Detect;

static void
detect_free (gpointer data)
{
  Detect *d = data;

  g_clear_handle_id (&d->timeout_id, g_source_remove);
  g_clear_object (&d->process);
  g_free (d->command);
  g_free (d);
}

static gboolean
detect_timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  Detect *d = g_task_get_task_data (task);

  d->timeout_id = 0;
  d->timed_out = TRUE;
  g_subprocess_force_exit (d->process);
  return G_SOURCE_REMOVE;
}

static void
detect_communicate_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Detect *d = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *version = NULL;

  g_clear_handle_id (&d->timeout_id, g_source_remove);

  if (!g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &out, NULL, &error))
    {
      if (d->timed_out)
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                 _("“%s version” did not finish within %d seconds"),
                                 d->command, DETECT_TIMEOUT_MS / 1000);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (d->timed_out)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                               _("“%s version” did not finish within %d seconds"),
                               d->command, DETECT_TIMEOUT_MS / 1000);
      return;
    }

  version = espy_version_parse_esphome_output (out);
  if (!g_subprocess_get_successful (d->process) || version == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("“%s version” did not report an ESPHome version"),
                               d->command);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&version), g_free);
}

void
espy_esphome_version_detect_async (GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_auto(GStrv) base = espy_esphome_command_argv ();
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  Detect *d = g_new0 (Detect, 1);
  guint i;

  g_task_set_source_tag (task, espy_esphome_version_detect_async);
  d->command = g_strdup (base[0]);
  g_task_set_task_data (task, d, detect_free);

  for (i = 0; base[i] != NULL; i++)
    g_ptr_array_add (argv, base[i]);
  g_ptr_array_add (argv, (gpointer) "version");
  g_ptr_array_add (argv, NULL);

  /* stderr merged: Python warnings must not hide the version line, and
   * must not fill a pipe nobody reads. */
  d->process = g_subprocess_newv ((const char * const *) argv->pdata,
                                  G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
                                  &error);
  if (d->process == NULL)
    {
      if (g_error_matches (error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT))
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                 _("ESPHome is not installed (no “%s” command)"), d->command);
      else
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                                 _("Could not run “%s”: %s"), d->command, error->message);
      return;
    }

  d->timeout_id = g_timeout_add (DETECT_TIMEOUT_MS, detect_timeout_cb, task);
  g_subprocess_communicate_utf8_async (d->process, NULL, cancellable,
                                       detect_communicate_cb, g_object_ref (task));
}

char *
espy_esphome_version_detect_finish (GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
