// GraphiQL for graphql-server: same-origin HTTP for queries and mutations,
// same-origin websocket (graphql-transport-ws) for subscriptions. Headers typed
// in the headers editor (e.g. {"Authorization": "Bearer ..."}) are sent with
// HTTP requests and as the websocket connection_init payload.
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
import { createClient } from "graphql-ws";
import React from "react";
import { createRoot } from "react-dom/client";

import { defaultTabs } from "./tabs.js";

const endpoint = new URL(window.location.pathname, window.location.href);
const socket = new URL(endpoint);
socket.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

let connectionHeaders = {};

const wsClient = createClient({
  url: socket.href,
  lazy: true,
  keepAlive: 15000,
  connectionParams: () => connectionHeaders,
});

const base = createGraphiQLFetcher({ url: endpoint.href, wsClient });

function fetcher(params, options) {
  connectionHeaders = (options && options.headers) || {};
  return base(params, options);
}

createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultTabs,
    defaultEditorToolsVisibility: true,
    shouldPersistHeaders: false,
  }),
);
