/* espy-config-folder.h: the user's ESPHome configuration folder, as a
 * GListModel of EspyDeviceConfig (one per device YAML, sorted by file name)
 * plus the files that could not be read, kept up to date by a file monitor.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-device-config.h"

G_BEGIN_DECLS

/* How long changes on disk settle before the folder is read again. */
#define ESPY_CONFIG_FOLDER_RELOAD_DELAY_MS 200

/* Signals:
 *   ::changed ()  after every (re)load that was applied: items, errors or
 *                 both may differ. items-changed is emitted first, and only
 *                 for configs that did change (same digest = same object). */
#define ESPY_TYPE_CONFIG_FOLDER (espy_config_folder_get_type ())
G_DECLARE_FINAL_TYPE (EspyConfigFolder, espy_config_folder, ESPY, CONFIG_FOLDER, GObject)

EspyConfigFolder *espy_config_folder_new             (GFile             *directory);
GFile            *espy_config_folder_get_directory   (EspyConfigFolder  *self);

/* Reads every *.yaml / *.yml directly in the folder (not secrets.yaml, not
 * dot-files) in a worker thread. Fails only when the folder itself cannot
 * be listed; a file that cannot be read becomes one entry of get_errors().
 * After the first load the folder (and secrets, includes, the .esphome
 * storage) is watched and read again ESPY_CONFIG_FOLDER_RELOAD_DELAY_MS
 * after changes. Results are applied on the caller's thread-default main
 * context; the last load started wins. */
void              espy_config_folder_load_async      (EspyConfigFolder  *self,
                                                      GCancellable      *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer           user_data);
gboolean          espy_config_folder_load_finish     (EspyConfigFolder  *self,
                                                      GAsyncResult      *result,
                                                      GError           **error);

gboolean          espy_config_folder_is_loaded       (EspyConfigFolder  *self);

/* Per-file errors of the last load (GError, ESPY_CONFIG_ERROR), sorted by
 * file name; each message starts with the file (and line and column). */
GPtrArray        *espy_config_folder_get_errors      (EspyConfigFolder  *self);
/* The error for one device file, or NULL. */
const GError     *espy_config_folder_get_error_for_file (EspyConfigFolder *self,
                                                         GFile            *file);

/* The config whose node name is @node_name (also "name-a1b2c3" for
 * name_add_mac_suffix devices); NULL if none. Transfer none. */
EspyDeviceConfig *espy_config_folder_lookup_name     (EspyConfigFolder  *self,
                                                      const char        *node_name);
EspyDeviceConfig *espy_config_folder_lookup_file     (EspyConfigFolder  *self,
                                                      GFile             *file);

G_END_DECLS
