// Worked examples of the what-if API, published in the OpenAPI document (openapi.ts): each a
// request on the embedded example policies (served as `examples`) and the answer it gets. The
// answers are real (a test sends every request and checks the answer holds what is shown here);
// members that change from run to run (times, versions) are left out.

export interface Example {
  name: string;
  summary: string;
  method: 'get' | 'put' | 'post' | 'delete';
  /** The OpenAPI path, with {param}s. */
  path: string;
  params?: Record<string, string>;
  contentType?: string;
  body?: unknown;
  status: number;
  answer: unknown;
}

export const EXAMPLES: Example[] = [
  {
    "name": "put-venice",
    "summary": "create policy venice from a FirewallConfiguration",
    "method": "put",
    "path": "/v1/policies/{name}",
    "params": {
      "name": "venice"
    },
    "contentType": "application/yaml",
    "body": "apiVersion: networking.liqo.io/v1beta1\nkind: FirewallConfiguration\nmetadata:\n  name: venice-web\n  namespace: liqo-tenant-venice\nspec:\n  table:\n    name: venice-web\n    family: IPV4\n    chains:\n      - name: forward\n        type: filter\n        hook: forward\n        priority: 10\n        policy: drop\n        rules:\n          filterRules:\n            - name: venice-to-web\n              action: accept\n              match:\n                - op: eq\n                  ip: { position: src, value: 10.112.0.0/16 }\n                - op: eq\n                  ip: { position: dst, value: 10.42.1.15 }\n",
    "status": 201,
    "answer": {
      "name": "venice",
      "version": 1,
      "files": [
        "policies/venice"
      ],
      "summary": {
        "tables": 1,
        "chains": 1,
        "baseChains": 1,
        "rules": 1
      },
      "warnings": 0
    }
  },
  {
    "name": "healthz",
    "summary": "the process is alive",
    "method": "get",
    "path": "/healthz",
    "status": 200,
    "answer": {
      "status": "ok"
    }
  },
  {
    "name": "readyz",
    "summary": "ready",
    "method": "get",
    "path": "/readyz",
    "status": 200,
    "answer": {
      "status": "ready"
    }
  },
  {
    "name": "list",
    "summary": "the policies held",
    "method": "get",
    "path": "/v1/policies",
    "status": 200,
    "answer": {
      "policies": [
        {
          "name": "examples",
          "version": 1,
          "files": [
            "examples/provider-protect-multi-consumer.yaml",
            "examples/provider-protect-single-consumer.yaml"
          ],
          "summary": {
            "tables": 2,
            "chains": 2,
            "baseChains": 2,
            "rules": 14
          },
          "warnings": 1
        },
        {
          "name": "venice",
          "version": 1,
          "files": [
            "policies/venice"
          ],
          "summary": {
            "tables": 1,
            "chains": 1,
            "baseChains": 1,
            "rules": 1
          },
          "warnings": 0
        }
      ]
    }
  },
  {
    "name": "get-examples",
    "summary": "a policy with its warnings (its chains and rules left out here)",
    "method": "get",
    "path": "/v1/policies/{name}",
    "params": {
      "name": "examples"
    },
    "status": 200,
    "answer": {
      "name": "examples",
      "version": 1,
      "files": [
        "examples/provider-protect-multi-consumer.yaml",
        "examples/provider-protect-single-consumer.yaml"
      ],
      "summary": {
        "tables": 2,
        "chains": 2,
        "baseChains": 2,
        "rules": 14
      },
      "warnings": 1,
      "diagnostics": [
        {
          "code": "ENGINE_ORDER",
          "severity": "warning",
          "message": "2 base chains run at forward priority 0, in this order: \"ip provider-protection-venice offloaded-pods-only\", \"ip provider-protection offloaded-pods-only\"; their order depends on how they were loaded: the kernel runs the one created last first, and so does the model",
          "origin": {
            "file": "examples/provider-protect-single-consumer.yaml",
            "resource": "liqo-tenant-venice/venice-provider-protection",
            "table": "ip provider-protection-venice",
            "chain": "offloaded-pods-only",
            "field": "spec.table.chains[0]",
            "line": 17,
            "column": 9
          }
        }
      ]
    }
  },
  {
    "name": "one-packet",
    "summary": "one packet, text form",
    "method": "post",
    "path": "/v1/policies/{name}/evaluate",
    "params": {
      "name": "examples"
    },
    "body": {
      "packet": "tcp 10.112.0.5:40000 -> 10.42.1.15:80 iif liqo-tunnel oif eth0"
    },
    "status": 200,
    "answer": {
      "packet": {
        "family": 4,
        "saddr": "10.112.0.5",
        "daddr": "10.42.1.15",
        "l4proto": 6,
        "sport": 40000,
        "dport": 80,
        "iifname": "liqo-tunnel",
        "oifname": "eth0",
        "ctState": "new",
        "mark": 0,
        "ctMark": 0,
        "tcpFlags": 2,
        "length": 40,
        "local": false
      },
      "verdict": "accept",
      "by": "rule",
      "rule": {
        "id": 0,
        "label": "ip provider-protection offloaded-pods-only rule allow-venice-to-10-42-1-15",
        "origin": {
          "file": "examples/provider-protect-multi-consumer.yaml",
          "resource": "liqo/provider-protection",
          "table": "ip provider-protection",
          "chain": "offloaded-pods-only",
          "rule": "allow-venice-to-10-42-1-15",
          "field": "spec.table.chains[0].rules.filterRules[0]",
          "line": 24,
          "column": 15
        }
      },
      "chain": {
        "id": 0,
        "label": "ip provider-protection offloaded-pods-only",
        "origin": {
          "file": "examples/provider-protect-multi-consumer.yaml",
          "resource": "liqo/provider-protection",
          "table": "ip provider-protection",
          "chain": "offloaded-pods-only",
          "field": "spec.table.chains[0]",
          "line": 17,
          "column": 9
        }
      },
      "hooks": [
        "prerouting",
        "forward",
        "postrouting"
      ],
      "after": {
        "family": 4,
        "saddr": "10.112.0.5",
        "daddr": "10.42.1.15",
        "l4proto": 6,
        "sport": 40000,
        "dport": 80,
        "iifname": "liqo-tunnel",
        "oifname": "eth0",
        "ctState": "new",
        "mark": 0,
        "ctMark": 0,
        "tcpFlags": 2,
        "length": 40,
        "local": false
      }
    }
  },
  {
    "name": "compact",
    "summary": "many packets, compact answer",
    "method": "post",
    "path": "/v1/policies/{name}/evaluate",
    "params": {
      "name": "venice"
    },
    "body": {
      "packets": [
        "tcp 10.112.0.5:40000 -> 10.42.1.15:443 iif liqo-tunnel oif eth0",
        {
          "saddr": "10.113.0.9",
          "daddr": "10.42.1.15",
          "l4proto": "udp",
          "dport": 53,
          "iifname": "liqo-tunnel",
          "oifname": "eth0"
        }
      ],
      "view": "compact"
    },
    "status": 200,
    "answer": {
      "count": 2,
      "verdict": [
        "accept",
        "drop"
      ],
      "rule": [
        0,
        null
      ],
      "chain": [
        0,
        0
      ],
      "rules": {
        "0": {
          "label": "ip venice-web forward rule venice-to-web",
          "origin": {
            "file": "policies/venice",
            "resource": "liqo-tenant-venice/venice-web",
            "table": "ip venice-web",
            "chain": "forward",
            "rule": "venice-to-web",
            "field": "spec.table.chains[0].rules.filterRules[0]",
            "line": 18,
            "column": 15
          }
        }
      },
      "chains": {
        "0": {
          "label": "ip venice-web forward",
          "origin": {
            "file": "policies/venice",
            "resource": "liqo-tenant-venice/venice-web",
            "table": "ip venice-web",
            "chain": "forward",
            "field": "spec.table.chains[0]",
            "line": 11,
            "column": 9
          }
        }
      }
    }
  },
  {
    "name": "records",
    "summary": "binary records (application/vnd.nftlens.packets: two 84-byte records), compact answer; with Accept: application/vnd.nftlens.results the same columns come as bytes",
    "method": "post",
    "path": "/v1/policies/{name}/evaluate",
    "params": {
      "name": "examples"
    },
    "contentType": "application/vnd.nftlens.packets",
    "body": "\u0004\u0006\u0002\u000090P\u0000(\u0000\b\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0005\u0000p\n\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u000f\u0001*\n\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000liqo-tunnel\u0000\u0000\u0000\u0000\u0000eth0\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0004\u0011\u0000\u0000905\u0000\u001c\u0000\b\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\t\u0000q\n\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u000f\u0001*\n\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000liqo-tunnel\u0000\u0000\u0000\u0000\u0000eth0\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000",
    "status": 200,
    "answer": {
      "count": 2,
      "verdict": [
        "accept",
        "drop"
      ],
      "rule": [
        0,
        null
      ],
      "chain": [
        0,
        0
      ],
      "rules": {
        "0": {
          "label": "ip provider-protection offloaded-pods-only rule allow-venice-to-10-42-1-15",
          "origin": {
            "file": "examples/provider-protect-multi-consumer.yaml",
            "resource": "liqo/provider-protection",
            "table": "ip provider-protection",
            "chain": "offloaded-pods-only",
            "rule": "allow-venice-to-10-42-1-15",
            "field": "spec.table.chains[0].rules.filterRules[0]",
            "line": 24,
            "column": 15
          }
        }
      },
      "chains": {
        "0": {
          "label": "ip provider-protection offloaded-pods-only",
          "origin": {
            "file": "examples/provider-protect-multi-consumer.yaml",
            "resource": "liqo/provider-protection",
            "table": "ip provider-protection",
            "chain": "offloaded-pods-only",
            "field": "spec.table.chains[0]",
            "line": 17,
            "column": 9
          }
        }
      }
    }
  },
  {
    "name": "packets-file",
    "summary": "a packets file (text/plain), one hook",
    "method": "post",
    "path": "/v1/policies/{name}/evaluate",
    "params": {
      "name": "venice",
      "hook": "forward"
    },
    "contentType": "text/plain",
    "body": "# one packet a line\nicmp 10.112.0.5 -> 10.42.1.15 type 8 code 0 iif liqo-tunnel oif eth0\n",
    "status": 200,
    "answer": {
      "count": 1,
      "results": [
        {
          "packet": {
            "family": 4,
            "saddr": "10.112.0.5",
            "daddr": "10.42.1.15",
            "l4proto": 1,
            "sport": 2048,
            "dport": 63487,
            "iifname": "liqo-tunnel",
            "oifname": "eth0",
            "ctState": "new",
            "mark": 0,
            "ctMark": 0,
            "tcpFlags": 0,
            "length": 28,
            "local": false
          },
          "verdict": "accept",
          "by": "rule",
          "rule": {
            "id": 0,
            "label": "ip venice-web forward rule venice-to-web",
            "origin": {
              "file": "policies/venice",
              "resource": "liqo-tenant-venice/venice-web",
              "table": "ip venice-web",
              "chain": "forward",
              "rule": "venice-to-web",
              "field": "spec.table.chains[0].rules.filterRules[0]",
              "line": 18,
              "column": 15
            }
          },
          "chain": {
            "id": 0,
            "label": "ip venice-web forward",
            "origin": {
              "file": "policies/venice",
              "resource": "liqo-tenant-venice/venice-web",
              "table": "ip venice-web",
              "chain": "forward",
              "field": "spec.table.chains[0]",
              "line": 11,
              "column": 9
            }
          },
          "hooks": [
            "forward"
          ],
          "after": {
            "family": 4,
            "saddr": "10.112.0.5",
            "daddr": "10.42.1.15",
            "l4proto": 1,
            "sport": 2048,
            "dport": 63487,
            "iifname": "liqo-tunnel",
            "oifname": "eth0",
            "ctState": "new",
            "mark": 0,
            "ctMark": 0,
            "tcpFlags": 0,
            "length": 28,
            "local": false
          }
        }
      ]
    }
  },
  {
    "name": "analyze",
    "summary": "findings of policy venice (none)",
    "method": "post",
    "path": "/v1/policies/{name}/analyze",
    "params": {
      "name": "venice"
    },
    "body": {},
    "status": 200,
    "answer": {
      "summary": {
        "files": 1,
        "rules": 1,
        "notClassified": 0,
        "error": 0,
        "warning": 0,
        "info": 0
      },
      "findings": []
    }
  },
  {
    "name": "isolation",
    "summary": "the embedded examples keep their tenants apart",
    "method": "post",
    "path": "/v1/isolation",
    "body": {
      "policy": "examples"
    },
    "status": 200,
    "answer": {
      "isolated": true,
      "tenants": [
        "venice",
        "naples"
      ],
      "matrix": [
        [
          3.183916434147765e+37,
          0
        ],
        [
          0,
          0
        ]
      ],
      "breaches": []
    }
  },
  {
    "name": "diff",
    "summary": "what changes from venice to the embedded examples",
    "method": "post",
    "path": "/v1/diff",
    "body": {
      "old": "venice",
      "new": "examples"
    },
    "status": 200,
    "answer": {
      "changed": true,
      "changes": [
        {
          "before": {
            "verdict": "drop"
          },
          "after": {
            "verdict": "accept"
          },
          "packets": [
            "{10.42.1.15, 10.42.2.7} -> 10.112.0.0/16 oif liqo-tunnel",
            "10.112.0.0/16 -> 10.42.2.7 iif liqo-tunnel"
          ],
          "headers": 4.775874651221648e+37,
          "witness": "tcp 10.42.1.15:1024 -> 10.112.0.1:80 iif eth0 oif liqo-tunnel ct new flags syn len 40",
          "witnessPacket": {
            "family": 4,
            "saddr": "10.42.1.15",
            "daddr": "10.112.0.1",
            "l4proto": 6,
            "sport": 1024,
            "dport": 80,
            "iifname": "eth0",
            "oifname": "liqo-tunnel",
            "ctState": "new",
            "mark": 0,
            "ctMark": 0,
            "tcpFlags": 2,
            "length": 40,
            "local": false
          }
        },
        {
          "before": {
            "verdict": "accept"
          },
          "after": {
            "verdict": "drop"
          },
          "packets": [
            "10.112.0.0/16 -> 10.42.1.15 iif other"
          ],
          "headers": 1.5919582170738826e+37,
          "witness": "tcp 10.112.0.1:1024 -> 10.42.1.15:80 iif eth0 oif eth0 ct new flags syn len 40",
          "witnessPacket": {
            "family": 4,
            "saddr": "10.112.0.1",
            "daddr": "10.42.1.15",
            "l4proto": 6,
            "sport": 1024,
            "dport": 80,
            "iifname": "eth0",
            "oifname": "eth0",
            "ctState": "new",
            "mark": 0,
            "ctMark": 0,
            "tcpFlags": 2,
            "length": 40,
            "local": false
          }
        }
      ]
    }
  },
  {
    "name": "delete-venice",
    "summary": "remove policy venice",
    "method": "delete",
    "path": "/v1/policies/{name}",
    "params": {
      "name": "venice"
    },
    "status": 200,
    "answer": {
      "deleted": "venice"
    }
  }
];
