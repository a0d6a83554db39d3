/* scripted-server.h: a TCP server on 127.0.0.1 with a thread that serves
 * one connection at a time the way the test scripts it, for the tests that
 * play a device's web server by hand (test-event-stream,
 * test-web-ota-client). A test's own server struct starts with a
 * ScriptedServer and adds what its script needs.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _ScriptedServer ScriptedServer;

/* Serves one accepted connection (blocking, 10 s timeout) on the server
 * thread; the socket is shut down and closed afterwards. */
typedef void (*ScriptedServeFunc) (ScriptedServer *server,
                                   GSocket        *socket);

struct _ScriptedServer
{
  GSocket          *listener;
  guint16           port;
  GThread          *thread;
  ScriptedServeFunc serve;

  GMutex            lock;
  GCond             cond;         /* broadcast when stop is set */
  gboolean          stop;         /* under lock */
  gint              connections;  /* accepted so far, atomic */
};

/* Listens on an ephemeral loopback port and starts the thread. */
void scripted_server_start (ScriptedServer    *server,
                            const char        *thread_name,
                            ScriptedServeFunc  serve);
/* Sets stop, wakes a script waiting on cond, joins the thread and closes
 * the listener. */
void scripted_server_stop  (ScriptedServer    *server);

G_END_DECLS
