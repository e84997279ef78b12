// A small loopback HTTP server standing in for the ECS task metadata
// endpoint v4 (the one outside service the tests cannot run for real).
import { createServer, type Server } from 'node:http';

export interface EcsMetadataServer {
  uri: string;
  requests: string[];
  close(): Promise<void>;
}

export const ECS_CONTAINER = {
  DockerId: '3c7e3fa7ae3a4c9f8d1b2a6e5f40000000000000000000000000000000000001'.slice(0, 64),
  Name: 'app',
  DockerName: 'ecs-TestApp-1-app-deadbeef',
  Image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/test-app:v1.2.3',
  ImageID: 'sha256:0123456789abcdef',
  Labels: {
    'com.amazonaws.ecs.cluster': 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
    'com.amazonaws.ecs.task-arn': 'arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef',
    'com.amazonaws.ecs.task-definition-family': 'TestApp',
    'com.amazonaws.ecs.task-definition-version': '7',
  },
  LaunchType: 'FARGATE',
};

export const ECS_TASK = {
  Cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
  TaskARN: 'arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef',
  Family: 'TestApp',
  Revision: '7',
  AvailabilityZone: 'us-east-1a',
  Containers: [ECS_CONTAINER],
};

export async function startEcsMetadata(): Promise<EcsMetadataServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = req.url?.endsWith('/task') ? ECS_TASK : req.url?.startsWith('/v4/') ? ECS_CONTAINER : undefined;
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    uri: `http://127.0.0.1:${port}/v4/container-0001`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/**
 * Registers an ECS metadata server for a uvu suite (started before, closed
 * after, with `cleanup` run too); read `.uri` inside tests.
 */
export function useEcsMetadata(suite: { before(fn: () => unknown): void; after(fn: () => unknown): void }, cleanup?: () => void) {
  const holder = { server: undefined as EcsMetadataServer | undefined, get uri(): string { return this.server!.uri; } };
  suite.before(async () => {
    holder.server = await startEcsMetadata();
  });
  suite.after(async () => {
    await holder.server?.close();
    cleanup?.();
  });
  return holder;
}
