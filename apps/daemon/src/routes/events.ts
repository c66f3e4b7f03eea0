/** `GET /events`: the engine's docker-shaped events as NDJSON, from history (`since`) and live, until `until`. */
import { checkFilterKeys, parseFilters, type Filters } from '@c/api';
import type { EngineEvent } from '@c/engine';
import type { EventsBackend } from '../containers/backend';
import { queryTime } from '../http/params';
import { startJsonStream } from '../http/respond';
import type { Route } from '../http/router';

const EVENT_FILTERS = ['type', 'event', 'container', 'image', 'label'] as const;

/** docker's event filters: values of one key OR-ed, keys AND-ed. */
export function eventMatches(event: EngineEvent, filters: Filters): boolean {
  const any = (key: string, test: (value: string) => boolean): boolean => {
    const values = filters.get(key);
    return values === undefined || values.length === 0 || values.some(test);
  };
  const attributes = event.Actor.Attributes;
  // exec actions carry the command after a colon ("exec_start: sh -c …"); filters name the action only.
  const action = event.Action.split(':')[0] ?? event.Action;
  return (
    any('type', (v) => v === event.Type) &&
    any('event', (v) => v === action || v === event.Action) &&
    any('container', (v) => event.Type === 'container' && (event.Actor.ID.startsWith(v) || attributes.name === v)) &&
    any('image', (v) => attributes.image === v || (event.Type === 'image' && event.Actor.ID === v)) &&
    any('label', (v) => {
      const eq = v.indexOf('=');
      return eq === -1 ? v in attributes : attributes[v.slice(0, eq)] === v.slice(eq + 1);
    })
  );
}

export function eventRoutes(events: EventsBackend): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/events',
      handler: async ({ res, query }) => {
        const filters = parseFilters(query.get('filters'));
        checkFilterKeys(filters, EVENT_FILTERS);
        const since = queryTime(query, 'since');
        const until = queryTime(query, 'until');
        const write = startJsonStream(res);
        const inWindow = (e: EngineEvent): boolean => e.timeNano / 1e9 <= (until ?? Number.POSITIVE_INFINITY);
        if (since !== undefined) {
          for (const event of events.history(Math.floor(since))) {
            if (event.timeNano / 1e9 >= since && inWindow(event) && eventMatches(event, filters)) write(event);
          }
        }
        const nowSeconds = Date.now() / 1000;
        if (until !== undefined && until <= nowSeconds) {
          res.end();
          return;
        }
        await new Promise<void>((resolve) => {
          const unsubscribe = events.subscribe((event) => {
            if (eventMatches(event, filters)) write(event);
          });
          const finish = (): void => {
            unsubscribe();
            clearTimeout(timer);
            resolve();
          };
          const timer = until === undefined ? undefined : setTimeout(finish, (until - nowSeconds) * 1000);
          res.once('close', finish);
        });
        res.end();
      },
    },
  ];
}
