/* espy-install-manager.h: every install the application runs, so installs
 * outlive the dialog or window that started them. A bounded number run at
 * once (the "parallel installs" preference); the rest wait in a queue in the
 * order they were started.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-install-job.h"

G_BEGIN_DECLS

#define ESPY_INSTALL_MANAGER_DEFAULT_MAX_PARALLEL 4

/* Properties:
 *   max-parallel  guint     read/write, >= 1, default 4 (bind it to GSettings)
 *   n-running     guint     jobs in an active state
 *   n-queued      guint     jobs waiting (PENDING) in the queue
 *   has-running   gboolean  n-running + n-queued > 0
 * Signals:
 *   ::job-started  (EspyInstallJob *job)  when a queued job leaves the queue
 *   ::job-finished (EspyInstallJob *job)  when a job reached a final state
 *                                          (including a queued job cancelled)
 *   ::device-busy  (const char *name)     a job is about to connect to the
 *        device NAME to upload. Anything of Espy's own talking to that device
 *        (a log view's API connection, an /events stream) must close now,
 *        synchronously, in the handler: an ESP8266 has heap for one
 *        connection during an update, and the OTA client connects right
 *        after this signal returns.
 *   ::device-free  (const char *name)     the job that made the device busy
 *        reached a final state (after the device rebooted and was checked,
 *        or failed): a log view may reconnect. */
#define ESPY_TYPE_INSTALL_MANAGER (espy_install_manager_get_type ())
G_DECLARE_FINAL_TYPE (EspyInstallManager, espy_install_manager, ESPY, INSTALL_MANAGER, GObject)

EspyInstallManager *espy_install_manager_new               (void);

void                espy_install_manager_set_max_parallel  (EspyInstallManager  *self,
                                                            guint                max_parallel);
guint               espy_install_manager_get_max_parallel  (EspyInstallManager  *self);

/* Adds JOB (a new, PENDING job; the manager takes its own reference) to the
 * jobs and runs it as soon as a slot is free. FALSE with
 * ESPY_INSTALL_ERROR_BUSY when a job for the same device (by name) is
 * queued or running, and then JOB is left alone. */
gboolean            espy_install_manager_start             (EspyInstallManager  *self,
                                                            EspyInstallJob      *job,
                                                            GError             **error);

/* GListModel of EspyInstallJob: every job started, oldest first, final ones
 * included until espy_install_manager_clear_finished(). Owned by SELF. */
GListModel         *espy_install_manager_get_jobs          (EspyInstallManager  *self);
void                espy_install_manager_clear_finished    (EspyInstallManager  *self);

/* The queued or running job for the device named NAME (any case), or NULL.
 * Not a new reference. A card shows its progress. */
EspyInstallJob     *espy_install_manager_lookup_active     (EspyInstallManager  *self,
                                                            const char          *name);
/* The most recent job for NAME in any state (the card's "last install
 * result"), or NULL. Not a new reference. */
EspyInstallJob     *espy_install_manager_lookup_last       (EspyInstallManager  *self,
                                                            const char          *name);

/* --- Update All / update selected --------------------------------------- */

/* What to do with a device that is offline when the run starts. */
typedef enum {
  ESPY_UPDATE_OFFLINE_SKIP,   /* count it as skipped */
  ESPY_UPDATE_OFFLINE_WAIT,   /* queue it until it comes online (deep sleep), up to a timeout */
} EspyUpdateOffline;

/* Makes the job for DEVICE (with its image or config, password, transport),
 * or returns NULL to skip it (no config, nothing to install). A new reference. */
typedef EspyInstallJob *(*EspyUpdateJobFunc) (EspyDevice *device,
                                              gpointer    user_data);

typedef struct {
  EspyUpdateJobFunc  make_job;           /* required */
  gpointer           user_data;
  EspyUpdateOffline  offline;
  guint              offline_timeout_ms; /* WAIT: 0 = ESPY_UPDATE_DEFAULT_OFFLINE_TIMEOUT_MS */
} EspyUpdateOptions;

#define ESPY_UPDATE_DEFAULT_OFFLINE_TIMEOUT_MS (10 * 60 * 1000)

typedef struct {
  guint n_succeeded;
  guint n_failed;
  guint n_skipped;    /* offline (and not waited for, or not back in time), no job, already installing */
  guint n_cancelled;
} EspyUpdateSummary;

/* Installs on every EspyDevice of DEVICES (a GListModel, read once now)
 * through the queue: at most max-parallel at once, failures do not stop
 * the others. Cancelling CANCELLABLE cancels the run's jobs and waits.
 * The summary is in _finish, which fails only with G_IO_ERROR_CANCELLED
 * when cancelled (SUMMARY is filled in either way). */
void                espy_install_manager_update_all_async  (EspyInstallManager      *self,
                                                            GListModel              *devices,
                                                            const EspyUpdateOptions *options,
                                                            GCancellable            *cancellable,
                                                            GAsyncReadyCallback      callback,
                                                            gpointer                 user_data);
gboolean            espy_install_manager_update_all_finish (EspyInstallManager      *self,
                                                            GAsyncResult            *result,
                                                            EspyUpdateSummary       *summary,
                                                            GError                 **error);
/* "3 installed, 1 failed, 2 skipped" (translated). */
char               *espy_update_summary_to_string         (const EspyUpdateSummary *summary);

/* Cancels every queued and running job. */
void                espy_install_manager_cancel_all        (EspyInstallManager  *self);

guint               espy_install_manager_get_n_running     (EspyInstallManager  *self);
guint               espy_install_manager_get_n_queued      (EspyInstallManager  *self);
gboolean            espy_install_manager_get_has_running   (EspyInstallManager  *self);

/* Keeps APP alive (g_application_hold) while has-running is TRUE, so
 * closing the last window does not end installs. NULL releases and
 * detaches. The application calls this once after creating the manager. */
void                espy_install_manager_hold_application  (EspyInstallManager  *self,
                                                            GApplication        *app);

G_END_DECLS
