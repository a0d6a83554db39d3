/* espy-sim-publisher.h: announces one simulated device via Avahi the way
 * ESPHome firmware does (wire doc section 3): `_esphomelib._tcp` on the API
 * port with the TXT keys of its firmware generation, `_http._tcp` on the web
 * port, host `<name>.local`. Re-publishes when avahi-daemon comes back.
 * Unlike the ESP-IDF responder it does not rename itself on a name
 * collision: it reports it (state COLLISION), which is what tests want.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-sim-device.h"

G_BEGIN_DECLS

#define ESPY_SIM_NOISE_NAME "Noise_NNpsk0_25519_ChaChaPoly_SHA256"

typedef enum {
  ESPY_SIM_PUBLISHER_STATE_IDLE,         /* not published (new, or withdrawn) */
  ESPY_SIM_PUBLISHER_STATE_WAITING,      /* no avahi-daemon: publishes when one appears */
  ESPY_SIM_PUBLISHER_STATE_REGISTERING,  /* probing the names */
  ESPY_SIM_PUBLISHER_STATE_ESTABLISHED,  /* announced */
  ESPY_SIM_PUBLISHER_STATE_COLLISION,    /* the name is taken: "message" says which */
  ESPY_SIM_PUBLISHER_STATE_FAILED,       /* avahi refused: "message" says why */
} EspySimPublisherState;

#define ESPY_TYPE_SIM_PUBLISHER_STATE (espy_sim_publisher_state_get_type ())
GType espy_sim_publisher_state_get_type (void) G_GNUC_CONST;

/* Properties: "state" (EspySimPublisherState), "message" (string or NULL). */
#define ESPY_TYPE_SIM_PUBLISHER (espy_sim_publisher_get_type ())
G_DECLARE_FINAL_TYPE (EspySimPublisher, espy_sim_publisher, ESPY, SIM_PUBLISHER, GObject)

/* NAME is the node name: the service instance and the host `<name>.local`. */
EspySimPublisher      *espy_sim_publisher_new                 (const char        *name);

/* Configuration; after publishing, call espy_sim_publisher_update() for
 * TXT changes (ports and names need withdraw + publish). */
void                   espy_sim_publisher_set_friendly_name   (EspySimPublisher  *self,
                                                               const char        *friendly_name);
void                   espy_sim_publisher_set_version         (EspySimPublisher  *self,
                                                               const char        *version);
/* Any MAC spelling; default: derived from the name. */
void                   espy_sim_publisher_set_mac             (EspySimPublisher  *self,
                                                               const char        *mac);
void                   espy_sim_publisher_set_platform        (EspySimPublisher  *self,
                                                               const char        *platform);
void                   espy_sim_publisher_set_board           (EspySimPublisher  *self,
                                                               const char        *board);
/* "wifi" (default), "ethernet", "thread". */
void                   espy_sim_publisher_set_network         (EspySimPublisher  *self,
                                                               const char        *network);
void                   espy_sim_publisher_set_generation      (EspySimPublisher  *self,
                                                               EspySimGeneration  generation);
/* Default 6053. */
void                   espy_sim_publisher_set_api_port        (EspySimPublisher  *self,
                                                               guint16            port);
/* 0 (default) = no web server, no `_http._tcp`. */
void                   espy_sim_publisher_set_web_port        (EspySimPublisher  *self,
                                                               guint16            port);
/* A key is set: TXT api_encryption. Without one, 2025.x+ firmware says
 * api_encryption_supported unless SUPPORTED is FALSE (default TRUE). */
void                   espy_sim_publisher_set_api_encryption  (EspySimPublisher  *self,
                                                               gboolean           key_set,
                                                               gboolean           supported);
void                   espy_sim_publisher_set_project         (EspySimPublisher  *self,
                                                               const char        *project_name,
                                                               const char        *project_version);
void                   espy_sim_publisher_set_package_import_url (EspySimPublisher *self,
                                                                  const char       *url);
/* 2026.1+ only; default: 8 hex digits derived from name and version. */
void                   espy_sim_publisher_set_config_hash     (EspySimPublisher  *self,
                                                               const char        *config_hash);
/* Publish an A record 127.0.0.1 for `<name>.local` (default TRUE). When
 * FALSE, or when avahi refuses the address, the services point at the
 * daemon's own host name (see espy_sim_publisher_get_host_name()). */
void                   espy_sim_publisher_set_own_host        (EspySimPublisher  *self,
                                                               gboolean           own_host);

/* Announces; waits for avahi-daemon when it is not running. FALSE only
 * when not even the system bus can be reached. */
gboolean               espy_sim_publisher_publish             (EspySimPublisher  *self,
                                                               GError           **error);
/* Pushes the current TXT record (e.g. a new version after an OTA). */
void                   espy_sim_publisher_update              (EspySimPublisher  *self);
/* Takes every record back (goodbye packets); back to IDLE. */
void                   espy_sim_publisher_withdraw            (EspySimPublisher  *self);

EspySimPublisherState  espy_sim_publisher_get_state           (EspySimPublisher  *self);
const char            *espy_sim_publisher_get_message         (EspySimPublisher  *self);
const char            *espy_sim_publisher_get_name            (EspySimPublisher  *self);
/* The host the services point at: "<name>.local", or the daemon's host
 * name when the address record was refused (NULL before publishing). */
const char            *espy_sim_publisher_get_host_name       (EspySimPublisher  *self);
/* The TXT strings of the current configuration, "key=value", in order. */
GStrv                  espy_sim_publisher_dup_txt             (EspySimPublisher  *self);

G_END_DECLS
