/** Client-side mirror of the server's password policy (the server remains the judge). */

export type PasswordProblem = 'length' | 'classes' | 'username';

export function passwordProblems(password: string, username = ''): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  if (password.length < 8) problems.push('length');
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 3) problems.push('classes');
  if (username && password.toLowerCase().includes(username.toLowerCase())) problems.push('username');
  return problems;
}
