// The Temporal SDK calls into the workflow sandbox with vm's `timeout` option (isolateExecutionTimeout),
// for which Node starts and joins a watchdog thread on every call. This measures that cost here, so the
// report can put the profile's `runInContext` time in proportion.
import vm from 'node:vm';

export function vmCallCost(calls = 3000): { plainUs: number; withTimeoutUs: number } {
  const context = vm.createContext({});
  const script = new vm.Script('1 + 1');
  const time = (options: vm.RunningScriptOptions) => {
    const start = performance.now();
    for (let i = 0; i < calls; i++) script.runInContext(context, options);
    return ((performance.now() - start) * 1000) / calls;
  };
  return { plainUs: time({}), withTimeoutUs: time({ timeout: 5000 }) };
}
