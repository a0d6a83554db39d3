/* scripted-server.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "scripted-server.h"

static gpointer
server_thread (gpointer data)
{
  ScriptedServer *server = data;

  for (;;)
    {
      g_autoptr(GSocket) socket = NULL;
      gboolean stop;

      g_mutex_lock (&server->lock);
      stop = server->stop;
      g_mutex_unlock (&server->lock);
      if (stop)
        break;
      /* Short waits: stop is seen within 20 ms. */
      if (!g_socket_condition_timed_wait (server->listener, G_IO_IN, 20000, NULL, NULL))
        continue;
      socket = g_socket_accept (server->listener, NULL, NULL);
      if (socket == NULL)
        continue;
      g_atomic_int_inc (&server->connections);
      g_socket_set_blocking (socket, TRUE);
      g_socket_set_timeout (socket, 10);
      server->serve (server, socket);
      g_socket_shutdown (socket, FALSE, TRUE, NULL);
      g_socket_close (socket, NULL);
    }
  return NULL;
}

void
scripted_server_start (ScriptedServer    *server,
                       const char        *thread_name,
                       ScriptedServeFunc  serve)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  server->serve = serve;
  g_mutex_init (&server->lock);
  g_cond_init (&server->cond);
  server->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (server->listener, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (server->listener, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (server->listener, &error);
  g_assert_no_error (error);
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  server->thread = g_thread_new (thread_name, server_thread, server);
}

void
scripted_server_stop (ScriptedServer *server)
{
  g_mutex_lock (&server->lock);
  server->stop = TRUE;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);
  g_thread_join (server->thread);
  g_socket_close (server->listener, NULL);
  g_object_unref (server->listener);
  g_mutex_clear (&server->lock);
  g_cond_clear (&server->cond);
}
