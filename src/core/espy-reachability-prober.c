/* espy-reachability-prober.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-reachability-prober.h"

#include <glib/gi18n-lib.h>

struct _EspyReachabilityProber {
  GObject         parent_instance;

  GSocketClient  *client;
  guint           max_concurrent;
  guint           timeout_ms;
  guint           active;
  GQueue          waiting;   /* GTask*, owned */
};

G_DEFINE_FINAL_TYPE (EspyReachabilityProber, espy_reachability_prober, G_TYPE_OBJECT)

typedef struct {
  char            *host;
  EspyProbeTarget *targets;
  guint            n_targets;
  guint            index;
  gboolean         started;
  GCancellable    *attempt_cancellable;
  gulong           cancel_id;
  guint            timeout_id;
  gboolean         timed_out;
  gint64           attempt_start;
  EspyProbeTarget  answered;
  guint            connect_ms;
} Probe;

static void probe_attempt (GTask *task);
static void prober_start_waiting (EspyReachabilityProber *self);

static void
probe_free (gpointer data)
{
  Probe *probe = data;

  g_clear_handle_id (&probe->timeout_id, g_source_remove);
  g_clear_object (&probe->attempt_cancellable);
  g_free (probe->host);
  g_free (probe->targets);
  g_free (probe);
}

static void
espy_reachability_prober_finalize (GObject *object)
{
  EspyReachabilityProber *self = ESPY_REACHABILITY_PROBER (object);

  /* Queued tasks hold a reference on us, so the queue is empty here. */
  g_warn_if_fail (g_queue_is_empty (&self->waiting));
  g_clear_object (&self->client);

  G_OBJECT_CLASS (espy_reachability_prober_parent_class)->finalize (object);
}

static void
espy_reachability_prober_class_init (EspyReachabilityProberClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = espy_reachability_prober_finalize;
}

static void
espy_reachability_prober_init (EspyReachabilityProber *self)
{
  self->client = g_socket_client_new ();
  /* Devices are on the local network: a desktop proxy must not be asked. */
  g_socket_client_set_enable_proxy (self->client, FALSE);
  g_queue_init (&self->waiting);
}

EspyReachabilityProber *
espy_reachability_prober_new (guint max_concurrent,
                              guint timeout_ms)
{
  EspyReachabilityProber *self = g_object_new (ESPY_TYPE_REACHABILITY_PROBER, NULL);

  self->max_concurrent = MAX (max_concurrent, 1);
  self->timeout_ms = timeout_ms > 0 ? timeout_ms : ESPY_PROBE_DEFAULT_TIMEOUT_MS;
  return self;
}

void
espy_reachability_prober_set_timeout (EspyReachabilityProber *self,
                                      guint                   timeout_ms)
{
  g_return_if_fail (ESPY_IS_REACHABILITY_PROBER (self));

  self->timeout_ms = timeout_ms > 0 ? timeout_ms : ESPY_PROBE_DEFAULT_TIMEOUT_MS;
}

guint
espy_reachability_prober_get_active (EspyReachabilityProber *self)
{
  g_return_val_if_fail (ESPY_IS_REACHABILITY_PROBER (self), 0);

  return self->active;
}

/* Ends TASK (which the caller owns a reference to) and lets a queued probe start. */
static void
probe_done (GTask  *task,
            GError *error)
{
  EspyReachabilityProber *self = g_task_get_source_object (task);
  Probe *probe = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (probe->cancel_id != 0)
    {
      g_cancellable_disconnect (cancellable, probe->cancel_id);
      probe->cancel_id = 0;
    }
  if (probe->started)
    {
      probe->started = FALSE;
      self->active--;
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  prober_start_waiting (self);
}

static gboolean
probe_timeout_cb (gpointer user_data)
{
  Probe *probe = user_data;

  probe->timeout_id = 0;
  probe->timed_out = TRUE;
  g_cancellable_cancel (probe->attempt_cancellable);
  return G_SOURCE_REMOVE;
}

static void
probe_connect_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Probe *probe = g_task_get_task_data (task);
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&probe->timeout_id, g_source_remove);
  connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (object), result, &error);

  if (connection != NULL)
    {
      probe->connect_ms = (guint) ((g_get_monotonic_time () - probe->attempt_start) / 1000);
      probe->answered = probe->targets[probe->index];
      /* Close at once: the device's OTA server serves one client at a time. */
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      probe_done (task, NULL);
      return;
    }

  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      probe_done (task, g_steal_pointer (&error));
      return;
    }

  if (probe->timed_out)
    {
      g_clear_error (&error);
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           _("No answer from %s on port %u within %u ms"),
                           probe->host, probe->targets[probe->index].port,
                           ((EspyReachabilityProber *) g_task_get_source_object (task))->timeout_ms);
    }

  probe->index++;
  if (probe->index < probe->n_targets)
    {
      probe_attempt (g_steal_pointer (&task));
      return;
    }
  probe_done (task, g_steal_pointer (&error));
}

static void
probe_attempt (GTask *task)
{
  EspyReachabilityProber *self = g_task_get_source_object (task);
  Probe *probe = g_task_get_task_data (task);

  g_clear_object (&probe->attempt_cancellable);
  probe->attempt_cancellable = g_cancellable_new ();
  probe->timed_out = FALSE;
  probe->attempt_start = g_get_monotonic_time ();
  /* Our own watchdog: it also bounds name resolution, which the socket
   * client's timeout does not. */
  probe->timeout_id = g_timeout_add (self->timeout_ms, probe_timeout_cb, probe);
  g_socket_client_connect_to_host_async (self->client, probe->host,
                                         probe->targets[probe->index].port,
                                         probe->attempt_cancellable,
                                         probe_connect_cb, task);
}

static void
probe_user_cancelled_cb (GCancellable *cancellable,
                         gpointer      user_data)
{
  Probe *probe = user_data;

  if (probe->attempt_cancellable != NULL)
    g_cancellable_cancel (probe->attempt_cancellable);
}

static void
prober_start_waiting (EspyReachabilityProber *self)
{
  while (self->active < self->max_concurrent && !g_queue_is_empty (&self->waiting))
    {
      GTask *task = g_queue_pop_head (&self->waiting);   /* owned */
      Probe *probe = g_task_get_task_data (task);
      GCancellable *cancellable = g_task_get_cancellable (task);

      if (g_task_return_error_if_cancelled (task))
        {
          g_object_unref (task);
          continue;
        }
      probe->started = TRUE;
      self->active++;
      if (cancellable != NULL)
        probe->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (probe_user_cancelled_cb),
                                                  probe, NULL);
      probe_attempt (task);
    }
}

void
espy_reachability_prober_probe_async (EspyReachabilityProber *self,
                                      const char             *host,
                                      const EspyProbeTarget  *targets,
                                      guint                   n_targets,
                                      GCancellable           *cancellable,
                                      GAsyncReadyCallback     callback,
                                      gpointer                user_data)
{
  GTask *task;
  Probe *probe;

  g_return_if_fail (ESPY_IS_REACHABILITY_PROBER (self));
  g_return_if_fail (host != NULL);
  g_return_if_fail (targets != NULL && n_targets > 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_reachability_prober_probe_async);
  probe = g_new0 (Probe, 1);
  probe->host = g_strdup (host);
  probe->targets = g_memdup2 (targets, sizeof *targets * n_targets);
  probe->n_targets = n_targets;
  g_task_set_task_data (task, probe, probe_free);

  g_queue_push_tail (&self->waiting, task);
  prober_start_waiting (self);
}

gboolean
espy_reachability_prober_probe_finish (EspyReachabilityProber  *self,
                                       GAsyncResult            *result,
                                       EspyProbeTarget         *answered,
                                       guint                   *connect_ms,
                                       GError                 **error)
{
  Probe *probe;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  probe = g_task_get_task_data (G_TASK (result));
  if (answered != NULL)
    *answered = probe->answered;
  if (connect_ms != NULL)
    *connect_ms = probe->connect_ms;
  return TRUE;
}
