const x: any = 1;
export const y: number = x.foo;
async function f(): Promise<void> {}
f();
