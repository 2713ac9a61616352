"""Manifests the kubectl session applies, written as a user would write them."""

from __future__ import annotations

NAMESPACE = "shop"

FIRST = """\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  colour: blue
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: nginx:1.25
        ports:
        - containerPort: 80
        env:
        - {name: MODE, value: prod}
      - name: sidecar
        image: busybox:1.36
        args: [sleep, infinity]
"""

# The same deployment, edited: the app image and env change, a label is added; the
# sidecar is not mentioned, so the three-way merge leaves it as it is.
SECOND = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web, tier: front}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        ports:
        - containerPort: 80
        env:
        - {name: MODE, value: prod}
        - {name: LEVEL, value: debug}
      - name: sidecar
        image: busybox:1.36
        args: [sleep, infinity]
"""

UNKNOWN_FIELD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: typo, namespace: shop}
spec:
  replica: 2
  selector: {matchLabels: {app: typo}}
  template:
    metadata: {labels: {app: typo}}
    spec:
      containers: [{name: a, image: nginx}]
"""

NO_SELECTOR = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: loose, namespace: shop}
spec:
  template:
    metadata: {labels: {app: loose}}
    spec:
      containers: [{name: a, image: nginx}]
"""

# YAML reads the label value `on` as a boolean: a map of strings cannot hold it.
WRONG_TYPE = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: switch, namespace: shop}
spec:
  selector: {matchLabels: {app: switch}}
  template:
    metadata: {labels: {app: switch, power: on}}
    spec:
      containers: [{name: a, image: nginx, resources: {limits: {cpu: 1}}}]
"""

# Its selector does not match its template's labels; a container has no image and
# another repeats a name.
MISMATCHED = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: odd, namespace: shop}
spec:
  selector: {matchLabels: {app: odd}}
  template:
    metadata: {labels: {app: even}}
    spec:
      containers: [{name: a}, {name: a, image: nginx}]
"""

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget, shortNames: [gd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Colour, type: string, jsonPath: .spec.colour, priority: 1}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        description: A gadget for the shop.
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 1, maximum: 10, description: How big.}
              colour: {type: string, enum: [red, blue]}
              replicas: {type: integer}
          status:
            type: object
            properties:
              replicas: {type: integer}
"""

GADGET = """\
apiVersion: example.com/v1
kind: Gadget
metadata: {name: g1, namespace: shop}
spec: {size: 3, colour: red}
"""

BAD_GADGET = """\
apiVersion: example.com/v1
kind: Gadget
metadata: {name: g2, namespace: shop}
spec: {size: 30, colour: green}
"""
