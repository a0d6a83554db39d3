/* espy-secrets.h: per-device secrets (OTA password, API key, web server
 * credentials) in the user's keyring through libsecret, and the order in
 * which an install looks for them: the YAML, then the keyring, then the user.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

#include "espy-device-config.h"

G_BEGIN_DECLS

#define ESPY_SECRETS_ERROR (espy_secrets_error_quark ())

/* Cancellation is G_IO_ERROR_CANCELLED. */
typedef enum {
  ESPY_SECRETS_ERROR_NO_KEYRING,  /* no Secret Service on the session bus */
  ESPY_SECRETS_ERROR_LOCKED,      /* the keyring stayed locked */
  ESPY_SECRETS_ERROR_FAILED,      /* anything else the keyring refused */
} EspySecretsError;

typedef enum {
  ESPY_SECRET_KIND_OTA_PASSWORD,  /* "ota-password" */
  ESPY_SECRET_KIND_API_KEY,       /* "api-key": the base64 Noise PSK */
  ESPY_SECRET_KIND_WEB_USER,      /* "web-user" */
  ESPY_SECRET_KIND_WEB_PASSWORD,  /* "web-password" */
} EspySecretKind;

typedef enum {
  ESPY_SECRET_SOURCE_NONE,        /* unknown: ask the user */
  ESPY_SECRET_SOURCE_CONFIG,      /* the device YAML (or its secrets.yaml) */
  ESPY_SECRET_SOURCE_KEYRING,
} EspySecretSource;

GQuark              espy_secrets_error_quark   (void);

/* "io.github.espy.Espy.DeviceSecret", attributes "device" (node name) and
 * "kind" (a nick below). */
const SecretSchema *espy_secrets_get_schema    (void);

const char         *espy_secret_kind_to_nick   (EspySecretKind    kind);
gboolean            espy_secret_kind_from_nick (const char       *nick,
                                                EspySecretKind   *kind);
/* What the keyring manager shows: "Espy: OTA password for kitchen". */
char               *espy_secrets_make_label    (const char       *device,
                                                EspySecretKind    kind);

/* Wipes and frees a secret returned by this module; NULL is fine. */
void                espy_secret_free           (char             *secret);

/* Stores (or replaces) the secret of @kind for @device. */
void                espy_secrets_store_async   (const char          *device,
                                                EspySecretKind       kind,
                                                const char          *secret,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean            espy_secrets_store_finish  (GAsyncResult        *result,
                                                GError             **error);

/* The stored secret (free it with espy_secret_free()), or NULL: with @error
 * unset when nothing is stored. */
void                espy_secrets_lookup_async  (const char          *device,
                                                EspySecretKind       kind,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
char               *espy_secrets_lookup_finish (GAsyncResult        *result,
                                                GError             **error);

/* Forgets it; @removed (may be NULL) tells whether there was one. */
void                espy_secrets_clear_async   (const char          *device,
                                                EspySecretKind       kind,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean            espy_secrets_clear_finish  (GAsyncResult        *result,
                                                gboolean            *removed,
                                                GError             **error);

/* Step one of the lookup order, without I/O: what @config (may be NULL)
 * says for @kind (ota: platform esphome password, api encryption key, web
 * server auth), or NULL. Owned by @config. */
const char         *espy_secrets_from_config   (EspyDeviceConfig    *config,
                                                EspySecretKind       kind);

/* The whole order: @config (may be NULL), then the keyring entry of @device
 * (NULL: the config's node name). A missing or locked keyring is not an
 * error here: the result is then NULL with ESPY_SECRET_SOURCE_NONE and the
 * caller asks the user. Only cancellation fails. */
void                espy_secrets_resolve_async  (EspyDeviceConfig    *config,
                                                 const char          *device,
                                                 EspySecretKind       kind,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
/* Free the result with espy_secret_free(). */
char               *espy_secrets_resolve_finish (GAsyncResult        *result,
                                                 EspySecretSource    *source,
                                                 GError             **error);

G_END_DECLS
